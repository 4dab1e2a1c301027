#include "privacy/face_detector.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "anpr/model_runner.hpp"

namespace vsp::privacy {

struct FaceDetector::Impl {
  std::unique_ptr<anpr::detail::ModelRunner> runner;
  std::vector<cv::Mat> outs;
  int input_px = 640;
  std::vector<std::string> out_names;
};

FaceDetector::FaceDetector(std::unique_ptr<Impl> i) : impl_(std::move(i)) {}
FaceDetector::~FaceDetector() = default;

const std::vector<cv::Mat>& FaceDetector::last_outputs() const { return impl_->outs; }
detect::Backend FaceDetector::backend() const { return impl_->runner->backend(); }
const std::string& FaceDetector::backend_reason() const { return impl_->runner->reason(); }

core::Result<std::unique_ptr<FaceDetector>> FaceDetector::load(const std::string& model, int input_px,
                                                               detect::Backend backend, int threads) {
  if (!std::filesystem::exists(model))
    return core::make_error("model_not_found", fmt::format("{}: face model not found (set VSP_MODELS_DIR)", model));
  auto impl = std::make_unique<Impl>();
  auto runner = anpr::detail::ModelRunner::create_from_path(model, std::filesystem::path(model).stem().string(),
                                                            backend, threads, {1, 3, input_px, input_px});
  if (!runner) return runner.error();
  impl->runner = std::move(*runner);
  impl->input_px = input_px;
  for (const char* kind : {"cls", "obj", "bbox"})
    for (int s : {8, 16, 32}) impl->out_names.push_back(fmt::format("{}_{}", kind, s));
  return std::unique_ptr<FaceDetector>(new FaceDetector(std::move(impl)));
}

std::vector<Face> FaceDetector::detect(const cv::Mat& bgr, float threshold) {
  // ---- Letterbox top-left into the square input, pad 0, raw BGR 0..255
  const int in = impl_->input_px;
  const double scale = std::min(static_cast<double>(in) / bgr.cols, static_cast<double>(in) / bgr.rows);
  cv::Mat canvas = cv::Mat::zeros(in, in, CV_8UC3), resized;
  cv::resize(
      bgr, resized,
      cv::Size(std::max(1, static_cast<int>(bgr.cols * scale)), std::max(1, static_cast<int>(bgr.rows * scale))));
  resized.copyTo(canvas(cv::Rect(0, 0, resized.cols, resized.rows)));
  auto& outs = impl_->outs;
  outs = impl_->runner->forward(cv::dnn::blobFromImage(canvas), impl_->out_names);
  if (outs.size() != impl_->out_names.size()) return {};

  // ---- Decode each stride: score = sqrt(cls * obj); box from grid offsets and exp sizes
  std::vector<cv::Rect2d> boxes;
  std::vector<float> scores;
  const int strides[] = {8, 16, 32};
  for (int k = 0; k < 3; ++k) {
    const int s = strides[k], cols = in / s;
    const float* cls = outs[static_cast<size_t>(k)].ptr<float>();
    const float* obj = outs[static_cast<size_t>(3 + k)].ptr<float>();
    const float* bb = outs[static_cast<size_t>(6 + k)].ptr<float>();
    const int n = static_cast<int>(outs[static_cast<size_t>(k)].total());
    for (int i = 0; i < n; ++i) {
      const float score = std::sqrt(std::clamp(cls[i], 0.f, 1.f) * std::clamp(obj[i], 0.f, 1.f));
      if (score < threshold) continue;
      const float gx = static_cast<float>(i % cols), gy = static_cast<float>(i / cols);
      const float cx = (bb[4 * i] + gx) * s, cy = (bb[4 * i + 1] + gy) * s;
      const float w = std::exp(bb[4 * i + 2]) * s, h = std::exp(bb[4 * i + 3]) * s;
      boxes.emplace_back((cx - w / 2) / scale, (cy - h / 2) / scale, w / scale, h / scale);
      scores.push_back(score);
    }
  }
  std::vector<int> keep;
  cv::dnn::NMSBoxes(boxes, scores, threshold, 0.3f, keep);
  std::vector<Face> faces;
  for (int i : keep) {
    const auto& b = boxes[static_cast<size_t>(i)];
    faces.push_back({{static_cast<float>(b.x), static_cast<float>(b.y), static_cast<float>(b.x + b.width),
                      static_cast<float>(b.y + b.height)},
                     scores[static_cast<size_t>(i)]});
  }
  return faces;
}

}  // namespace vsp::privacy
