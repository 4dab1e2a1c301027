#pragma once
/// YuNet face detection (the "2023mar" output layout, decoded here because OpenCV 4.6's
/// FaceDetectorYN only reads the older layout). Used only to blur faces, never to identify anyone.
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/types.hpp"
#include "detect/detector.hpp"

namespace cv {
class Mat;
}

namespace vsp::privacy {

struct Face {
  core::BoxXyxy box_px;
  float score = 0;
};

class FaceDetector {
 public:
  /// `model`: a yunet_*.onnx; `input_px`: the network's square input (a multiple of 32).
  /// `backend` chooses the engine as `detector.backend` does (the plate reader's ModelRunner):
  /// `automatic` runs the fast backend (src/infer) and falls back to OpenCV DNN, logging why, where
  /// it cannot plan the model; `fast` makes that an error; `opencv` is the reference.
  static core::Result<std::unique_ptr<FaceDetector>> load(const std::string& model, int input_px = 640,
                                                          detect::Backend backend = detect::Backend::automatic,
                                                          int threads = 0);
  ~FaceDetector();
  /// Faces in a BGR image, in its pixels. Not thread-safe (one network per detector).
  std::vector<Face> detect(const cv::Mat& bgr, float threshold = 0.6f);
  /// The network's raw outputs for the last detect(): cls_8/16/32, obj_8/16/32, bbox_8/16/32 (tests).
  const std::vector<cv::Mat>& last_outputs() const;
  /// Backend::fast or Backend::opencv, and one line saying why.
  detect::Backend backend() const;
  const std::string& backend_reason() const;

 private:
  struct Impl;
  explicit FaceDetector(std::unique_ptr<Impl> i);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vsp::privacy
