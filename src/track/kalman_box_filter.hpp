#pragma once
/// Constant-velocity Kalman filter over a box's centre and size: state
/// [cx, cy, w, h, vcx, vcy, vw, vh] (velocities in px per nominal frame period), measurement
/// [cx, cy, w, h]; noise scales with box size.
#include <array>

#include "core/types.hpp"

namespace vsp::track {

using Vec8 = std::array<double, 8>;
using Mat8 = std::array<double, 64>;

/// Noise as a fraction of the box size, per nominal frame period (the tracker's `frame_rate`).
struct KalmanNoise {
  double position = 1.0 / 20;
  double velocity = 1.0 / 160;
};

class KalmanBoxFilter {
 public:
  struct State {
    Vec8 mean{};
    Mat8 cov{};
  };

  explicit KalmanBoxFilter(KalmanNoise noise = KalmanNoise{}) : noise_(noise) {}
  State initiate(const core::BoxXyxy& box) const;
  /// Advances the state by `dt` nominal frame periods (1 = one frame at the nominal rate; any
  /// positive real: calls may come at irregular times). Process noise grows with `dt`.
  void predict(State& s, double dt = 1.0) const;
  /// `measurement_scale` multiplies the measurement noise (e.g. larger for low-score detections).
  void update(State& s, const core::BoxXyxy& box, double measurement_scale = 1.0) const;
  static core::BoxXyxy box(const State& s);

 private:
  KalmanNoise noise_;
};

}  // namespace vsp::track
