#pragma once
/// Constant-velocity Kalman filter over a box's centre and size: state
/// [cx, cy, w, h, vcx, vcy, vw, vh], measurement [cx, cy, w, h]; noise scales with box size.
#include <array>

#include "core/types.hpp"

namespace vsp::track {

using Vec8 = std::array<double, 8>;
using Mat8 = std::array<double, 64>;

/// Noise as a fraction of the box size, per frame.
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
  void predict(State& s) const;
  /// `measurement_scale` multiplies the measurement noise (e.g. larger for low-score detections).
  void update(State& s, const core::BoxXyxy& box, double measurement_scale = 1.0) const;
  static core::BoxXyxy box(const State& s);

 private:
  KalmanNoise noise_;
};

}  // namespace vsp::track
