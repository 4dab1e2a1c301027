#pragma once
/// Overlays (boxes, track ids, lines, zones, running counts) drawn on frames for the annotated
/// video, snapshots and the live view. The state is a value: copied out of the analysis thread.
#include <string>
#include <vector>

#include "analytics/line_counter.hpp"
#include "analytics/zone_monitor.hpp"
#include "core/types.hpp"

namespace vsp::pipeline {

struct OverlayState {
  core::Tracks tracks;
  struct Line {
    analytics::LineOptions options;
    long in = 0, out = 0;
  };
  struct Zone {
    analytics::ZoneOptions options;
    int inside = 0;
    long entries = 0;
  };
  std::vector<Line> lines;
  std::vector<Zone> zones;
};

OverlayState make_overlay_state(const core::Tracks& tracks, const std::vector<analytics::LineCounter>& lines,
                                const std::vector<analytics::ZoneMonitor>& zones);
void draw_overlays(core::Image& frame, const OverlayState& state);
/// JPEG bytes of a frame.
std::string encode_jpeg(const core::Image& frame, int quality = 80);

}  // namespace vsp::pipeline
