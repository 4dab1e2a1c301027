#include "privacy/static_mask.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "core/geometry.hpp"
#include "privacy/video_blur.hpp"

namespace vsp::privacy {

void StaticMask::apply(cv::Mat& bgr) const {
  if (polygons_.empty() || bgr.empty()) return;
  std::vector<std::vector<cv::Point>> px;
  for (const auto& poly : polygons_) {
    auto& out = px.emplace_back();
    for (const auto& p : poly)  // the polygon's edge pixels are covered too (fillPoly includes the outline)
      out.emplace_back(static_cast<int>(std::lround(p.x * bgr.cols)), static_cast<int>(std::lround(p.y * bgr.rows)));
  }
  cv::fillPoly(bgr, px, cv::Scalar(0, 0, 0), cv::LINE_8);
}

void StaticMask::apply(core::Image& frame) const {
  if (polygons_.empty() || frame.bgr.size() < static_cast<size_t>(frame.width) * frame.height * 3) return;
  cv::Mat m(frame.height, frame.width, CV_8UC3, frame.bgr.data());
  apply(m);
}

bool StaticMask::covers(core::Point p_px, int width, int height) const {
  if (width <= 0 || height <= 0) return false;
  const core::Point n{p_px.x / width, p_px.y / height};
  for (const auto& poly : polygons_)
    if (core::point_in_polygon(n, poly)) return true;
  return false;
}

core::Status mask_video(const std::string& in_path, const std::string& out_path, const StaticMask& mask) {
  auto frames = reencode_video(in_path, out_path, [&](cv::Mat& frame, long) { mask.apply(frame); });
  if (!frames) return frames.error();
  return core::Ok{};
}

}  // namespace vsp::privacy
