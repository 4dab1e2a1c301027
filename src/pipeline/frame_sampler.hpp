#pragma once
/// Which decoded frames analysis takes, at `detect_fps` by stream time. Pure; shared by
/// `vsp analyze` and the live node.
#include <algorithm>
#include <limits>
#include <optional>

namespace vsp::pipeline {

class FrameSampler {
 public:
  /// No rate = every frame.
  explicit FrameSampler(std::optional<double> fps) : period_s_(fps ? 1.0 / *fps : 0.0) {}

  /// True when the frame at `pts_s` is due. Timestamps going backwards (a new connection, a
  /// looped file) restart the schedule; after a gap the next frame is taken at once.
  bool take(double pts_s) {
    if (pts_s < last_pts_s_) reset();
    last_pts_s_ = pts_s;
    if (pts_s + 1e-6 < next_due_s_) return false;
    // Keep the phase (next = due + period) so a steady stream is sampled evenly; restart from
    // this frame when starting or after a gap longer than a period.
    const bool restart = next_due_s_ == -std::numeric_limits<double>::infinity() || pts_s - next_due_s_ > period_s_;
    next_due_s_ = (restart ? pts_s : next_due_s_) + period_s_;
    return true;
  }
  void reset() {
    next_due_s_ = -std::numeric_limits<double>::infinity();
    last_pts_s_ = -std::numeric_limits<double>::infinity();
  }

 private:
  double period_s_;
  double next_due_s_ = -std::numeric_limits<double>::infinity();
  double last_pts_s_ = -std::numeric_limits<double>::infinity();
};

}  // namespace vsp::pipeline
