#pragma once
/// Licence-plate localisation with LPD-YuNet (OpenCV Zoo, Apache-2.0): four corners per plate, any
/// country (trained on Chinese plates; measured on US/EU/BR photos in docs/anpr.md). Decoding as
/// described in models/MANIFEST.md section 10.
#include <array>
#include <memory>
#include <vector>

#include "core/result.hpp"
#include "core/types.hpp"
#include "detect/detector.hpp"

namespace vsp::anpr {

/// One plate found in an image.
struct PlateQuad {
  std::array<core::Point, 4> corners;  ///< top-left, top-right, bottom-right, bottom-left (image px)
  core::BoxXyxy box_px;                ///< the plate's axis-aligned box (the detector's own box regression)
  float score = 0;                     ///< sqrt(plate probability x predicted IoU), 0..1
  /// The corner regression is often unusable on non-Chinese plates (two corners near the centre,
  /// corners swapped): then `corners` are those of `box_px` and this is false.
  bool corners_regressed = true;
};

/// A plausible plate quadrilateral: convex, clockwise from the top-left (y down), and each corner
/// on its own side of the centroid (top-left up and left of it, and so on).
bool plausible_quad(const std::array<core::Point, 4>& c);

struct PlateLocaliserOptions {
  int long_side = 640;  ///< the image (or ROI) is resized so that its long side is this
  float score_threshold = 0.3f;
  float nms_iou = 0.3f;
  bool upscale = false;  ///< resize ROIs smaller than `long_side` up (else keep their size)
};

class PlateLocaliser {
 public:
  /// Loads (and verifies) the model; `backend` and `threads` as for the detectors (`auto`: the fast
  /// backend where it runs the model, else OpenCV DNN).
  static core::Result<std::unique_ptr<PlateLocaliser>> create(detect::Backend backend = detect::Backend::automatic,
                                                              int threads = 0);
  /// The engine that runs LPD-YuNet: Backend::fast or Backend::opencv.
  detect::Backend backend() const;
  ~PlateLocaliser();
  /// Plates inside `roi` of `image`, best score first. Boxes that are not plate-shaped (width /
  /// height outside 1.2..8) or hang more than 10 % of the ROI's size outside it are dropped.
  std::vector<PlateQuad> locate(const core::Image& image, const core::BoxXyxy& roi,
                                const PlateLocaliserOptions& options) const;

 private:
  PlateLocaliser() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Network input size for a ROI of `w` x `h` at `long_side` (both sides multiples of 64, aspect kept).
std::pair<int, int> lpd_input_size(int w, int h, int long_side, bool upscale);

}  // namespace vsp::anpr
