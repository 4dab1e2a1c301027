#include "crowd/head_detector.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "detect/model_registry.hpp"
#include "detect/nms.hpp"

namespace vsp::crowd {

struct HeadDetector::Net {
  cv::dnn::Net net;
  std::vector<cv::String> out_names;  ///< score_s4, bbox_s4, ..., in branch order
};

namespace {
constexpr std::array<int, 4> kStride = {4, 8, 16, 32};
constexpr std::array<float, 4> kStart = {3, 7, 15, 31};
constexpr std::array<float, 4> kHalfRf = {10, 20, 40, 80};  ///< half the receptive field, px
}  // namespace

core::Result<std::unique_ptr<HeadDetector>> HeadDetector::create() {
  const auto path = detect::models_dir() / kHeadModelPath;
  auto sum = detect::sha256_file(path);
  if (!sum)
    return core::make_error(
        "model_not_found",
        fmt::format("{}: head model missing (set VSP_MODELS_DIR or see models/MANIFEST.md)", path.string()));
  if (*sum != kHeadModelSha256)
    return core::make_error("model_checksum_mismatch",
                            fmt::format("{}: sha256 {} is not the expected {}", path.string(), *sum, kHeadModelSha256));
  std::unique_ptr<HeadDetector> d(new HeadDetector());
  d->net_ = std::make_unique<Net>();
  try {
    d->net_->net = cv::dnn::readNetFromONNX(path.string());
    d->net_->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    d->net_->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    const auto names = d->net_->net.getUnconnectedOutLayersNames();
    for (int s : kStride)
      for (const char* kind : {"score_s", "bbox_s"}) {
        const std::string want = fmt::format("{}{}", kind, s);
        if (std::find(names.begin(), names.end(), want) == names.end())
          return core::make_error("model_shape_mismatch",
                                  fmt::format("{}: head model has no output '{}'", path.string(), want));
        d->net_->out_names.push_back(want);
      }
  } catch (const cv::Exception& e) {
    return core::make_error("model_load_failed",
                            fmt::format("{}: cannot load the head model: {}", path.string(), e.what()));
  }
  return d;
}

HeadDetector::~HeadDetector() = default;

core::Detections HeadDetector::detect(const core::Image& image, int input_w, int input_h, float score_threshold) {
  const cv::Mat frame(image.height, image.width, CV_8UC3, const_cast<std::uint8_t*>(image.bgr.data()));
  cv::Mat resized;
  cv::resize(frame, resized, cv::Size(input_w, input_h), 0, 0,
             input_w < image.width ? cv::INTER_AREA : cv::INTER_LINEAR);
  net_->net.setInput(cv::dnn::blobFromImage(resized));  // BGR, raw 0..255 (scaling is in the graph)
  std::vector<cv::Mat> outs;
  net_->net.forward(outs, net_->out_names);
  const float sx = static_cast<float>(image.width) / input_w, sy = static_cast<float>(image.height) / input_h;
  core::Detections dets;
  for (size_t b = 0; b < kStride.size(); ++b) {
    const cv::Mat& score = outs[2 * b];
    const cv::Mat& box = outs[2 * b + 1];
    const int h = score.size[2], w = score.size[3];
    const size_t plane = static_cast<size_t>(h) * w;
    const float* sp = score.ptr<float>();
    const float* bp = box.ptr<float>();
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const size_t i = static_cast<size_t>(y) * w + x;
        if (sp[i] < score_threshold) continue;
        const float cx = kStart[b] + kStride[b] * x, cy = kStart[b] + kStride[b] * y, c = kHalfRf[b];
        // All four are "centre minus" (MANIFEST.md).
        core::BoxXyxy bx{(cx - bp[i] * c) * sx, (cy - bp[plane + i] * c) * sy, (cx - bp[2 * plane + i] * c) * sx,
                         (cy - bp[3 * plane + i] * c) * sy};
        bx.x1 = std::clamp(bx.x1, 0.f, static_cast<float>(image.width));
        bx.x2 = std::clamp(bx.x2, 0.f, static_cast<float>(image.width));
        bx.y1 = std::clamp(bx.y1, 0.f, static_cast<float>(image.height));
        bx.y2 = std::clamp(bx.y2, 0.f, static_cast<float>(image.height));
        if (bx.area() < 1.f) continue;
        dets.push_back({bx, sp[i], 0});
      }
  }
  return detect::nms_per_class(std::move(dets), 0.4f);
}

}  // namespace vsp::crowd
