#pragma once
/// Static privacy masks: polygons of a camera's view (a neighbour's window, a garden) that are
/// blacked out in every frame before anything looks at it, and never shown, analysed or exported.
/// Coordinates are normalised (0..1) so a mask fits the sub-stream, the main stream and exports.
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/types.hpp"

namespace cv {
class Mat;
}

namespace vsp::privacy {

class StaticMask {
 public:
  StaticMask() = default;
  /// `polygons` in normalised coordinates (validated by the config: ≥ 3 points, an area).
  explicit StaticMask(std::vector<core::Polygon> polygons) : polygons_(std::move(polygons)) {}
  bool empty() const { return polygons_.empty(); }
  const std::vector<core::Polygon>& polygons() const { return polygons_; }
  /// Fills every polygon with black (0, 0, 0), in place. Thread-safe (const, no state).
  void apply(cv::Mat& bgr) const;
  void apply(core::Image& frame) const;
  /// Whether the pixel point `p_px` of a `width`x`height` frame lies in a mask.
  bool covers(core::Point p_px, int width, int height) const;

 private:
  std::vector<core::Polygon> polygons_;
};

/// Re-encodes `in_path` (any video FFmpeg reads) as H.264 MP4 at `out_path` with `mask` burned
/// into every frame (audio dropped, nominal frame rate). Exports of a masked camera go through
/// this whatever the viewer's role: a privacy mask is not unmaskable.
core::Status mask_video(const std::string& in_path, const std::string& out_path, const StaticMask& mask);

}  // namespace vsp::privacy
