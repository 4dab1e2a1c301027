#pragma once
/// Blurs faces in frames: YuNet boxes, enlarged, covered by a flat patch so nothing of the face
/// survives, with a short temporal hold (a face found in one of the last `hold_frames` frames of a
/// stream stays blurred) so one missed detection does not flash a face.
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "privacy/face_detector.hpp"

namespace vsp::privacy {

struct BlurOptions {
  float threshold = 0.3f;  ///< YuNet score; low on purpose: a false positive costs a patch, a miss a face
  float grow = 0.6f;       ///< each box side grows by this fraction (hair, chin, ears)
  int hold_frames = 5;     ///< temporal hold per stream
  /// Head fallback: people at most this tall (px) get their head region covered whatever YuNet
  /// says (their faces are too small for it); 0 turns the fallback off.
  float head_fallback_max_person_px = 240;
};

/// The head region of a standing person's box: the top 20 % of its height, the middle 70 % of its width.
core::BoxXyxy head_region(const core::BoxXyxy& person);

/// Covers `boxes` (pixels, each grown by `grow`) in `bgr` in place with a flat patch of its mean colour.
void obscure(cv::Mat& bgr, const std::vector<core::BoxXyxy>& boxes, float grow);

class FaceBlur {
 public:
  FaceBlur(std::unique_ptr<FaceDetector> det, BlurOptions o) : det_(std::move(det)), o_(o) {}
  /// Blurs the faces of one frame of `stream` in place, and the heads of small `persons` (boxes in
  /// the frame's pixels); returns the faces YuNet found in this frame.
  /// `detect` false skips YuNet and covers only the held boxes (cheaper frames in between).
  std::vector<Face> apply(const std::string& stream, cv::Mat& bgr, const std::vector<core::BoxXyxy>& persons = {},
                          bool detect = true);
  /// Forgets a stream's held boxes (an export finished).
  void forget(const std::string& stream);

 private:
  std::unique_ptr<FaceDetector> det_;
  BlurOptions o_;
  std::mutex m_;
  std::map<std::string, std::deque<std::vector<core::BoxXyxy>>> recent_;  ///< per stream, newest last
};

}  // namespace vsp::privacy
