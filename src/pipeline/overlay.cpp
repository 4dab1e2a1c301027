#include "pipeline/overlay.hpp"

#include <fmt/format.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/coco.hpp"

namespace vsp::pipeline {

OverlayState make_overlay_state(const core::Tracks& tracks, const std::vector<analytics::LineCounter>& lines,
                                const std::vector<analytics::ZoneMonitor>& zones) {
  OverlayState s;
  s.tracks = tracks;
  for (const auto& l : lines) s.lines.push_back({l.options(), l.totals().in, l.totals().out});
  for (const auto& z : zones) {
    int n = 0;
    for (const auto& [cls, k] : z.occupancy()) n += k;
    s.zones.push_back({z.options(), n, z.totals().entries});
  }
  return s;
}

namespace {
cv::Scalar color_for(int id) {
  static const cv::Scalar palette[] = {{66, 135, 245}, {245, 130, 48}, {60, 180, 75},  {230, 25, 75},
                                       {145, 30, 180}, {70, 240, 240}, {240, 50, 230}, {210, 245, 60}};
  return palette[static_cast<size_t>(id) % 8];
}
void label(cv::Mat& img, const std::string& text, cv::Point at, cv::Scalar color) {
  cv::putText(img, text, at, cv::FONT_HERSHEY_SIMPLEX, 0.55, cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
  cv::putText(img, text, at, cv::FONT_HERSHEY_SIMPLEX, 0.55, color, 1, cv::LINE_AA);
}
}  // namespace

void draw_overlays(core::Image& frame, const OverlayState& state) {
  cv::Mat img(frame.height, frame.width, CV_8UC3, frame.bgr.data());
  const double W = frame.width, H = frame.height;
  for (const auto& t : state.tracks) {
    if (!t.confirmed() || t.frames_since_update > 0) continue;
    const cv::Scalar c = color_for(t.id);
    cv::rectangle(img, cv::Point(static_cast<int>(t.box_px.x1), static_cast<int>(t.box_px.y1)),
                  cv::Point(static_cast<int>(t.box_px.x2), static_cast<int>(t.box_px.y2)), c, 2);
    cv::putText(img, fmt::format("#{} {}", t.id, core::coco_name(t.class_id)),
                cv::Point(static_cast<int>(t.box_px.x1), std::max(12, static_cast<int>(t.box_px.y1) - 4)),
                cv::FONT_HERSHEY_SIMPLEX, 0.45, c, 1, cv::LINE_AA);
    const auto a = t.box_px.bottom_center();
    cv::circle(img, cv::Point(static_cast<int>(a.x), static_cast<int>(a.y)), 3, c, cv::FILLED);
  }
  int y = 18;
  for (const auto& l : state.lines) {
    const cv::Point p1(static_cast<int>(l.options.p1.x * W), static_cast<int>(l.options.p1.y * H));
    const cv::Point p2(static_cast<int>(l.options.p2.x * W), static_cast<int>(l.options.p2.y * H));
    cv::arrowedLine(img, p1, p2, cv::Scalar(0, 255, 255), 2, cv::LINE_AA, 0, 0.03);
    label(img, fmt::format("{}: in {}  out {}", l.options.name, l.in, l.out), cv::Point(8, y), cv::Scalar(0, 255, 255));
    y += 20;
  }
  for (const auto& z : state.zones) {
    std::vector<cv::Point> pts;
    for (const auto& p : z.options.polygon) pts.emplace_back(static_cast<int>(p.x * W), static_cast<int>(p.y * H));
    cv::polylines(img, pts, true, cv::Scalar(255, 200, 0), 2, cv::LINE_AA);
    label(img, fmt::format("{}: {} inside, {} entries", z.options.name, z.inside, z.entries), cv::Point(8, y),
          cv::Scalar(255, 200, 0));
    y += 20;
  }
}

std::string encode_jpeg(const core::Image& frame, int quality) {
  const cv::Mat img(frame.height, frame.width, CV_8UC3, const_cast<std::uint8_t*>(frame.bgr.data()));
  std::vector<uchar> buf;
  cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  return std::string(buf.begin(), buf.end());
}

}  // namespace vsp::pipeline
