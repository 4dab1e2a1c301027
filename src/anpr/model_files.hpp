#pragma once
/// Private to anpr: model files are verified by SHA-256 before they are loaded.
#include <fmt/format.h>

#include <opencv2/dnn.hpp>
#include <string>

#include "core/result.hpp"
#include "core/types.hpp"
#include "detect/model_registry.hpp"

namespace vsp::anpr::detail {

struct ModelFile {
  const char* rel;  ///< relative to the models folder
  const char* sha256;
};

inline core::Result<std::string> verified(const ModelFile& f) {
  const auto path = detect::models_dir() / f.rel;
  auto sha = detect::sha256_file(path);
  if (!sha)
    return core::make_error("model_not_found", fmt::format("{}: not found (set VSP_MODELS_DIR)", path.string()));
  if (*sha != f.sha256)
    return core::make_error("model_sha256_mismatch",
                            fmt::format("{}: sha256 {} does not match the expected {}", path.string(), *sha, f.sha256));
  return path.string();
}

inline core::Result<cv::dnn::Net> load(const ModelFile& f) {
  auto p = verified(f);
  if (!p) return p.error();
  try {
    auto net = cv::dnn::readNetFromONNX(*p);
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
  } catch (const cv::Exception& e) {
    return core::make_error("model_load_failed", fmt::format("{}: cannot load: {}", *p, e.what()));
  }
}

inline cv::Mat as_mat(const core::Image& img) {
  return cv::Mat(img.height, img.width, CV_8UC3, const_cast<std::uint8_t*>(img.bgr.data()));
}

}  // namespace vsp::anpr::detail
