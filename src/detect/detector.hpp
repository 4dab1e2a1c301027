#pragma once
/// Object detection through OpenCV DNN. Two steps so a pipeline can overlap them:
/// `prepare` (letterbox/resize + normalise, thread-safe) and `infer` (forward + decode + NMS).
#include <memory>
#include <optional>
#include <vector>

#include "core/result.hpp"
#include "core/types.hpp"
#include "detect/model_registry.hpp"
#include "infer/session.hpp"

namespace vsp::detect {

/// Which inference engine runs the network. `automatic`: the fast one (src/infer, oneDNN) where it
/// loads the model, else OpenCV DNN, logged either way. `opencv` is the reference.
enum class Backend { automatic, fast, opencv };
enum class Precision { fp32, int8 };
const char* to_string(Backend b);

struct DetectorOptions {
  std::string model = "yolox_nano";
  std::optional<float> score_threshold;  ///< default: the model's own
  std::optional<float> nms_iou;          ///< default: the model's own
  float cross_class_iou = 0.7f;          ///< one box per object across labels
  std::vector<int> classes;              ///< COCO ids to keep; empty = all
  int threads = 0;                       ///< inference threads; 0 = the library's default (fast: the cores)
  Backend backend = Backend::automatic;
  Precision precision = Precision::fp32;
  /// int8 only, calibration tools: these ranges instead of the compiled-in table (bench/int8_calibrate
  /// judges candidate tables by their boxes). Not a config key.
  const infer::RangeTable* int8_ranges = nullptr;
  /// Every field takes part (defaulted), so two cameras share a detector only when nothing differs.
  bool operator==(const DetectorOptions&) const = default;
};

/// A network input made from one image; opaque outside `detect`.
class PreparedInput {
 public:
  PreparedInput();
  ~PreparedInput();
  PreparedInput(PreparedInput&&) noexcept;
  PreparedInput& operator=(PreparedInput&&) noexcept;
  struct Impl;
  Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

class Detector {
 public:
  /// Loads and verifies the model (sha256, output shapes); the error names the file.
  static core::Result<std::unique_ptr<Detector>> create(const DetectorOptions& options);
  ~Detector();

  const ModelSpec& spec() const { return spec_; }
  /// Builds the network input for `image`. Safe to call from another thread than `infer`.
  PreparedInput prepare(const core::Image& image) const;
  /// Runs the network and returns detections in the image's pixels, filtered and suppressed.
  core::Detections infer(const PreparedInput& input);
  /// `prepare` + `infer`.
  core::Detections detect(const core::Image& image) { return infer(prepare(image)); }
  /// forward() alone on an already prepared input (for benchmarks).
  void forward_only(const PreparedInput& input);
  /// int8 calibration: widens `ranges` by what every convolution reads on `input` (fast backend,
  /// fp32 only; bench/int8_calibrate).
  core::Status observe_ranges(const PreparedInput& input, infer::RangeTable& ranges);
  /// The network input `prepare` made (NCHW float32, the model's input size; calibration tools).
  static const float* input_data(const PreparedInput& input);
  /// Second calibration pass: histograms of |x| per convolution input over the ranges found.
  core::Status observe_histograms(const PreparedInput& input, const infer::RangeTable& ranges,
                                  std::map<std::string, std::vector<double>>& hist);
  /// The engine that runs the network: Backend::fast or Backend::opencv (never automatic).
  Backend backend() const { return backend_; }
  /// One line on the choice: which engine runs and why (logged at create).
  const std::string& backend_reason() const { return backend_reason_; }

 private:
  Detector() = default;
  struct Net;
  std::unique_ptr<Net> net_;
  Backend backend_ = Backend::opencv;
  std::string backend_reason_;
  ModelSpec spec_;
  DetectorOptions options_;
  float score_threshold_ = 0.3f;
  float nms_iou_ = 0.45f;
};

}  // namespace vsp::detect
