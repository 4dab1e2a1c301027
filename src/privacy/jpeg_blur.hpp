#pragma once
/// The server-side privacy filter for JPEG frames (snapshots, live view): decode, blur faces,
/// encode. Caches the last frame per camera so many viewers of one stream cost one detection.
#include <functional>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "privacy/face_blur.hpp"

namespace vsp::privacy {

/// (camera, jpeg, people's boxes in its pixels) -> blurred jpeg; nullopt when the frame cannot be
/// decoded (never the raw frame).
using JpegFilter = std::function<std::optional<std::string>(const std::string& camera, const std::string& jpeg,
                                                            const std::vector<core::BoxXyxy>& persons)>;

/// `face_yunet/yunet_n_320_320.onnx` under the models folder ($VSP_MODELS_DIR or ../shared/models).
std::string default_face_model_path();
core::Result<JpegFilter> make_jpeg_blur(const std::string& model_path, BlurOptions o = {});

}  // namespace vsp::privacy
