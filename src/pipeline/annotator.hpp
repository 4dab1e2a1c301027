#pragma once
/// Draws boxes, track ids, lines, zones and running counts onto frames and writes an MP4.
#include <memory>
#include <string>
#include <vector>

#include "analytics/line_counter.hpp"
#include "analytics/zone_monitor.hpp"
#include "core/result.hpp"
#include "core/types.hpp"

namespace vsp::pipeline {

class Annotator {
 public:
  static core::Result<std::unique_ptr<Annotator>> open(const std::string& path, int width, int height, double fps);
  ~Annotator();
  void write(core::Image& frame, const core::Tracks& tracks, const std::vector<analytics::LineCounter>& lines,
             const std::vector<analytics::ZoneMonitor>& zones);

 private:
  Annotator() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vsp::pipeline
