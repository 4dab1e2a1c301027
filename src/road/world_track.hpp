#pragma once
/// A track's path on the road in metres and the speed it implies: a least-squares line through the
/// last `window_s` of ground-point positions (constant velocity), whose slope is the velocity and
/// whose residuals (or the projected pixel noise, whichever is larger) give the uncertainty.
#include <deque>
#include <optional>

#include "core/types.hpp"

namespace vsp::road {

struct WorldSample {
  double t_s = 0;
  core::Point pos_m;
  double sigma_m = 0;  ///< expected position noise here (pixel noise through the homography)
};

struct SpeedEstimate {
  double speed_mps = 0;
  double sigma_mps = 0;  ///< one standard deviation
  core::Point velocity_mps;
  core::Point position_m;  ///< smoothed position at the newest sample
  int samples = 0;
  double span_s = 0;
  double speed_kmh() const { return speed_mps * 3.6; }
  double sigma_kmh() const { return sigma_mps * 3.6; }
};

class WorldTrack {
 public:
  explicit WorldTrack(double window_s = 1.0) : window_s_(window_s) {}
  void add(const WorldSample& s);
  /// The fit over the window; nullopt until it holds >= 3 samples over >= a third of the window.
  std::optional<SpeedEstimate> estimate() const;
  const std::deque<WorldSample>& samples() const { return samples_; }

 private:
  double window_s_;
  std::deque<WorldSample> samples_;  ///< the window (and a little more)
};

}  // namespace vsp::road
