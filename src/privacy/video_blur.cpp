#include "privacy/video_blur.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <opencv2/videoio.hpp>

namespace vsp::privacy {

core::Result<long> reencode_video(const std::string& in_path, const std::string& out_path,
                                  const std::function<void(cv::Mat&, long)>& filter) {
  cv::VideoCapture cap(in_path, cv::CAP_FFMPEG);
  if (!cap.isOpened()) return core::make_error("export_unreadable", fmt::format("{}: cannot decode", in_path));
  cv::Mat frame;
  if (!cap.read(frame) || frame.empty())
    return core::make_error("export_empty", fmt::format("{}: no video frame", in_path));
  double fps = cap.get(cv::CAP_PROP_FPS);
  if (!(fps > 0 && fps < 1000)) fps = 25;
  const std::string tmp = out_path + ".part.mp4";  // the writer picks the container by extension
  cv::VideoWriter w(tmp, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('a', 'v', 'c', '1'), fps, frame.size());
  if (!w.isOpened()) return core::make_error("export_encoder", "cannot open the H.264 encoder (libx264)");
  long frames = 0;
  do {
    filter(frame, frames++);
    w.write(frame);
  } while (cap.read(frame) && !frame.empty());
  w.release();
  std::error_code ec;
  std::filesystem::rename(tmp, out_path, ec);
  if (ec) return core::make_error("export_write_failed", fmt::format("{}: {}", out_path, ec.message()));
  return frames;
}

core::Result<VideoBlurStats> blur_video(const std::string& in_path, const std::string& out_path, FaceBlur& blur,
                                        const std::string& stream, int detect_every) {
  VideoBlurStats st;
  auto frames = reencode_video(in_path, out_path, [&](cv::Mat& frame, long i) {
    const bool detect = i % std::max(1, detect_every) == 0;
    st.faces += static_cast<long>(blur.apply(stream, frame, {}, detect).size());
  });
  if (!frames) return frames.error();
  st.frames = frames.value();
  return st;
}

}  // namespace vsp::privacy
