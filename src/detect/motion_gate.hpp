#pragma once
/// Cheap motion detection that decides when the detector must run: frame differencing on a small
/// grey image (160 px wide), blurred, thresholded; motion = share of changed pixels.
#include <memory>

#include "core/types.hpp"

namespace vsp::detect {

struct MotionOptions {
  bool enabled = true;
  double min_changed_fraction = 0.002;  ///< of the small image's pixels
  int pixel_threshold = 18;             ///< grey-level difference that counts as change
};

class MotionGate {
 public:
  explicit MotionGate(MotionOptions options = MotionOptions{});
  ~MotionGate();
  /// Share of pixels that changed since the previous call (1 on the first frame).
  double update(const core::Image& image);
  bool moving(double changed_fraction) const {
    return !options_.enabled || changed_fraction >= options_.min_changed_fraction;
  }

 private:
  MotionOptions options_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vsp::detect
