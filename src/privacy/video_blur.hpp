#pragma once
/// Blurred exports: a video file decoded, faces covered frame by frame (FaceBlur, with its
/// temporal hold), re-encoded as H.264 MP4 (OpenCV's FFmpeg writer, libx264). Audio is dropped;
/// the frame rate is the container's nominal one.
#include <functional>
#include <opencv2/core.hpp>
#include <string>

#include "core/result.hpp"
#include "privacy/face_blur.hpp"

namespace vsp::privacy {

struct VideoBlurStats {
  long frames = 0;
  long faces = 0;  ///< YuNet detections over the frames it ran on
};

/// Decodes `in_path`, runs `filter(frame, index)` on every frame and writes `out_path` as H.264 MP4
/// (through `<out_path>.part.mp4`, renamed at the end); returns the number of frames.
core::Result<long> reencode_video(const std::string& in_path, const std::string& out_path,
                                  const std::function<void(cv::Mat&, long)>& filter);

/// Writes `out_path` from `in_path`; YuNet runs on every `detect_every`-th frame, the frames between
/// reuse the held boxes. `stream` names the hold's history (use a fresh name per export).
core::Result<VideoBlurStats> blur_video(const std::string& in_path, const std::string& out_path, FaceBlur& blur,
                                        const std::string& stream, int detect_every = 1);

}  // namespace vsp::privacy
