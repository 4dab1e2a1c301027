#pragma once
/// The pretrained models VSP knows, where to find them, and how to check them.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace vsp::detect {

enum class ModelFamily { yolox, nanodet, picodet };

/// One entry of the model table. Files live under the models directory, never in the repository.
struct ModelSpec {
  std::string name;           ///< config name, e.g. "yolox_nano"
  std::string relative_path;  ///< under the models directory
  std::string sha256;         ///< of the file as shipped in ../shared/models
  ModelFamily family = ModelFamily::yolox;
  int input_size = 416;  ///< square network input, pixels
  int num_classes = 80;  ///< 80 = COCO; 1 = person only
  float default_score_threshold = 0.3f;
  float default_nms_iou = 0.45f;
  std::string upstream;  ///< where a user elsewhere downloads it
  /// detector.backend auto runs it on the fast backend: checked against OpenCV DNN (boxes in
  /// tests/integration/fast_backend_test.cpp, or raw outputs for the same architecture) and faster
  /// there (docs/performance.md). Others need backend: fast.
  bool fast_by_default = false;
};

const std::vector<ModelSpec>& known_models();
std::optional<ModelSpec> find_model(const std::string& name);
/// Comma-separated names, for error messages.
std::string known_model_names();

/// `$VSP_MODELS_DIR`, else the first `../shared/models` found from the working directory or
/// from the directories above the running executable.
std::filesystem::path models_dir();

/// Lower-case hex sha256 of a file's bytes.
core::Result<std::string> sha256_file(const std::filesystem::path& path);

/// Path of the model's file, after checking it exists and its sha256 matches.
core::Result<std::filesystem::path> locate_verified(const ModelSpec& spec);

}  // namespace vsp::detect
