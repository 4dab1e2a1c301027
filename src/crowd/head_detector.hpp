#pragma once
/// Head detector (LFFD v1 trained on Brainwash, `head_lffd` in the models folder; decoding in
/// models/MANIFEST.md section 9). Fully convolutional: the network input size is chosen per call,
/// so one loaded model serves several scales (small heads need a larger input).
#include <filesystem>
#include <memory>

#include "core/result.hpp"
#include "core/types.hpp"

namespace vsp::crowd {

/// The model file as shipped, relative to the models folder, and its sha256.
inline constexpr const char* kHeadModelPath = "head_lffd/lffd_head_brainwash_640x480.onnx";
inline constexpr const char* kHeadModelSha256 = "e1b94141ce6bdae2760948aebf6ef6749b3e5fbbb89a1e6fbeb1ceb7c02c3179";

class HeadDetector {
 public:
  /// Loads and checks the model (sha256, the eight outputs); the error names the file.
  static core::Result<std::unique_ptr<HeadDetector>> create();
  ~HeadDetector();
  HeadDetector(const HeadDetector&) = delete;
  HeadDetector& operator=(const HeadDetector&) = delete;

  /// Head boxes in `image` pixels (class 0), score >= `score_threshold`, suppressed at IoU 0.4.
  /// The image is stretched to `input_w` x `input_h` (multiples of 32 work best).
  core::Detections detect(const core::Image& image, int input_w, int input_h, float score_threshold);

 private:
  HeadDetector() = default;
  struct Net;
  std::unique_ptr<Net> net_;
};

}  // namespace vsp::crowd
