#include "pipeline/annotator.hpp"

#include <fmt/format.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "pipeline/overlay.hpp"

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

void Annotator::write(core::Image& frame, const core::Tracks& tracks, const std::vector<analytics::LineCounter>& lines,
                      const std::vector<analytics::ZoneMonitor>& zones) {
  draw_overlays(frame, make_overlay_state(tracks, lines, zones));
  cv::Mat img(frame.height, frame.width, CV_8UC3, frame.bgr.data());
  impl_->writer.write(img);
}

}  // namespace vsp::pipeline
