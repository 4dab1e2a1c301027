#pragma once
/// YuNet face detection (the "2023mar" output layout, decoded here because OpenCV 4.6's
/// FaceDetectorYN only reads the older layout). Used only to blur faces, never to identify anyone.
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/types.hpp"

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
  static core::Result<std::unique_ptr<FaceDetector>> load(const std::string& model, int input_px = 640);
  ~FaceDetector();
  /// Faces in a BGR image, in its pixels. Not thread-safe (one network per detector).
  std::vector<Face> detect(const cv::Mat& bgr, float threshold = 0.6f);

 private:
  struct Impl;
  explicit FaceDetector(std::unique_ptr<Impl> i);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vsp::privacy
