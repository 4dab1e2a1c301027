#include "pipeline/annotator.hpp"

#include <fmt/format.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "core/coco.hpp"

namespace vsp::pipeline {

struct Annotator::Impl {
  cv::VideoWriter writer;
  int width = 0, height = 0;
};

core::Result<std::unique_ptr<Annotator>> Annotator::open(const std::string& path, int width, int height, double fps) {
  std::unique_ptr<Annotator> a(new Annotator());
  a->impl_ = std::make_unique<Impl>();
  a->impl_->width = width;
  a->impl_->height = height;
  const double f = fps > 0 ? fps : 25;
  // H.264 when OpenCV's FFmpeg has an encoder for it, MPEG-4 Part 2 otherwise.
  for (const char* cc : {"avc1", "mp4v"}) {
    if (a->impl_->writer.open(path, cv::CAP_FFMPEG, cv::VideoWriter::fourcc(cc[0], cc[1], cc[2], cc[3]), f,
                              cv::Size(width, height)))
      return a;
  }
  return core::make_error("write_failed", fmt::format("{}: cannot open for writing an MP4 video", path), "--annotate");
}

Annotator::~Annotator() {
  if (impl_) impl_->writer.release();
}

namespace {
cv::Scalar color_for(int id) {
  static const cv::Scalar palette[] = {{66, 135, 245}, {245, 130, 48}, {60, 180, 75},  {230, 25, 75},
                                       {145, 30, 180}, {70, 240, 240}, {240, 50, 230}, {210, 245, 60}};
  return palette[static_cast<size_t>(id) % 8];
}
}  // namespace

void Annotator::write(core::Image& frame, const core::Tracks& tracks, const std::vector<analytics::LineCounter>& lines,
                      const std::vector<analytics::ZoneMonitor>& zones) {
  cv::Mat img(frame.height, frame.width, CV_8UC3, frame.bgr.data());
  const double W = frame.width, H = frame.height;
  for (const auto& t : tracks) {
    if (!t.confirmed() || t.frames_since_update > 0) continue;
    const cv::Scalar c = color_for(t.id);
    cv::rectangle(img, cv::Point(static_cast<int>(t.box_px.x1), static_cast<int>(t.box_px.y1)),
                  cv::Point(static_cast<int>(t.box_px.x2), static_cast<int>(t.box_px.y2)), c, 2);
    const std::string label = fmt::format("#{} {}", t.id, core::coco_name(t.class_id));
    cv::putText(img, label, cv::Point(static_cast<int>(t.box_px.x1), std::max(12, static_cast<int>(t.box_px.y1) - 4)),
                cv::FONT_HERSHEY_SIMPLEX, 0.45, c, 1, cv::LINE_AA);
    const auto a = t.box_px.bottom_center();
    cv::circle(img, cv::Point(static_cast<int>(a.x), static_cast<int>(a.y)), 3, c, cv::FILLED);
  }
  int y = 18;
  for (const auto& l : lines) {
    const auto& o = l.options();
    const cv::Point p1(static_cast<int>(o.p1.x * W), static_cast<int>(o.p1.y * H));
    const cv::Point p2(static_cast<int>(o.p2.x * W), static_cast<int>(o.p2.y * H));
    cv::arrowedLine(img, p1, p2, cv::Scalar(0, 255, 255), 2, cv::LINE_AA, 0, 0.03);
    const std::string text = fmt::format("{}: in {}  out {}", o.name, l.totals().in, l.totals().out);
    cv::putText(img, text, cv::Point(8, y), cv::FONT_HERSHEY_SIMPLEX, 0.55, cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
    cv::putText(img, text, cv::Point(8, y), cv::FONT_HERSHEY_SIMPLEX, 0.55, cv::Scalar(0, 255, 255), 1, cv::LINE_AA);
    y += 20;
  }
  for (const auto& z : zones) {
    std::vector<cv::Point> pts;
    for (const auto& p : z.options().polygon) pts.emplace_back(static_cast<int>(p.x * W), static_cast<int>(p.y * H));
    cv::polylines(img, pts, true, cv::Scalar(255, 200, 0), 2, cv::LINE_AA);
    int n = 0;
    for (const auto& [cls, k] : z.occupancy()) n += k;
    const std::string text = fmt::format("{}: {} inside, {} entries", z.options().name, n, z.totals().entries);
    cv::putText(img, text, cv::Point(8, y), cv::FONT_HERSHEY_SIMPLEX, 0.55, cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
    cv::putText(img, text, cv::Point(8, y), cv::FONT_HERSHEY_SIMPLEX, 0.55, cv::Scalar(255, 200, 0), 1, cv::LINE_AA);
    y += 20;
  }
  impl_->writer.write(img);
}

}  // namespace vsp::pipeline
