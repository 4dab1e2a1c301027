#pragma once
/// A one-line progress bar on stderr (frames, fps, ETA), drawn only when stderr is a terminal.
#include <cstdio>
#include <string>

namespace vsp::app {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  void update(long done, long total, double fps, double elapsed_s);
  void finish();
  bool enabled() const { return enabled_; }

 private:
  std::string label_;
  bool enabled_ = false;
  bool drawn_ = false;
};

}  // namespace vsp::app
