#pragma once
/// Licence-plate localisation with LPD-YuNet (OpenCV Zoo, Apache-2.0): four corners per plate, any
/// country (trained on Chinese plates; measured on US/EU/BR photos in docs/anpr.md). Decoding as
/// described in models/MANIFEST.md section 10.
#include <array>
#include <memory>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/types.hpp"
#include "detect/detector.hpp"

namespace vsp::anpr {

/// Forwards of one model and the time they took (planning a new input size included): counters for
/// benchmarks and tests, never used to decide anything.
struct ModelUsage {
  long forwards = 0;
  double ms = 0;
};

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
  /// Read by PlateReader::create only: plan the common input sizes (kLpdCommonSizes) at start and
  /// keep 16 other sizes planned; false: plan every size on first use and keep the last 6. Off by
  /// default: no measurable gain on the photo benchmark, +160 MB peak RSS (docs/performance.md).
  bool plan_ahead = false;
};

/// LPD-YuNet input sizes (height, width) planned at start: the whole-photo sizes most photos get
/// (landscape 4:3 to 16:9 at long sides 640 and 320, lpd_input_size), so that a photo of a new size
/// rarely waits for a plan (9 ms at 320x240 to 16 ms at 640x384 on the fast backend).
inline constexpr std::pair<int, int> kLpdCommonSizes[] = {{384, 640}, {448, 640}, {512, 640},
                                                          {192, 320}, {256, 320}, {320, 320}};

class PlateLocaliser {
 public:
  /// Loads (and verifies) the model; `backend` and `threads` as for the detectors (`auto`: the fast
  /// backend where it runs the model, else OpenCV DNN).
  /// `plan_ahead` as PlateLocaliserOptions::plan_ahead.
  static core::Result<std::unique_ptr<PlateLocaliser>> create(detect::Backend backend = detect::Backend::automatic,
                                                              int threads = 0, bool plan_ahead = false);
  /// Plans made by the fast backend so far (0 on OpenCV DNN; tests, benchmarks).
  int plans_made() const;
  /// LPD-YuNet's forwards so far.
  ModelUsage usage() const;
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
