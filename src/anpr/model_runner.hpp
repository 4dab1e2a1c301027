#pragma once
/// Private to anpr (and privacy's face detector, which reuses it): one ONNX model run on the fast backend (src/infer,
/// oneDNN) or on OpenCV DNN, the reference, chosen as `detector.backend` chooses for the detectors (detect::Backend).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <opencv2/dnn.hpp>
#include <string>
#include <vector>

#include "anpr/model_files.hpp"
#include "anpr/plate_localiser.hpp"
#include "core/result.hpp"
#include "detect/detector.hpp"
#include "infer/graph.hpp"
#include "infer/session.hpp"

namespace vsp::anpr::detail {

class ModelRunner {
 public:
  /// Loads (and verifies) `file`. With `fast` or `automatic` the fast backend plans the model for
  /// `probe` (NCHW) at once; where it cannot, `automatic` runs OpenCV DNN and logs why (naming the
  /// model and the operator), `fast` returns that error. Other input sizes are planned on first use
  /// (the last `max_sessions` kept).
  static core::Result<std::unique_ptr<ModelRunner>> create(const ModelFile& file, const std::string& name,
                                                           detect::Backend backend, int threads,
                                                           const std::vector<int64_t>& probe);
  /// The same for a file not checked by sha256 (tests).
  static core::Result<std::unique_ptr<ModelRunner>> create_from_path(const std::string& path, const std::string& name,
                                                                     detect::Backend backend, int threads,
                                                                     const std::vector<int64_t>& probe);
  ~ModelRunner();
  /// One forward on a 4-D NCHW float32 blob. Outputs in the order of `names` (empty: the model's
  /// own order), valid until the next call.
  std::vector<cv::Mat> forward(const cv::Mat& blob, const std::vector<std::string>& names = {});
  /// Plans each input size of `dims` (NCHW) now, on the fast backend, and keeps those plans for
  /// the runner's life (they are never evicted); with OpenCV DNN it does nothing. Sizes the fast
  /// backend cannot plan are skipped (they run on OpenCV DNN when used, as in forward).
  void prepare(const std::vector<std::vector<int64_t>>& dims);
  /// How many other input sizes stay planned (least recently used evicted; default 6).
  void set_max_sessions(size_t n) { max_sessions_ = std::max<size_t>(1, n); }
  /// Plans made so far (the probe and prepared sizes included).
  int plans_made() const { return plans_made_; }
  /// Forwards so far and their time (planning included).
  const ModelUsage& usage() const { return usage_; }
  /// Backend::fast or Backend::opencv.
  detect::Backend backend() const { return backend_; }
  /// One line: which engine runs the model and why.
  const std::string& reason() const { return reason_; }

 private:
  ModelRunner() = default;
  infer::Session* session_for(const std::vector<int64_t>& dims);
  core::Status load_opencv();

  std::string name_, path_;
  detect::Backend backend_ = detect::Backend::opencv;
  std::string reason_;
  int threads_ = 0;
  infer::Graph graph_;  ///< kept to plan further input sizes
  struct Planned {
    std::vector<int64_t> dims;
    std::unique_ptr<infer::Session> session;
    uint64_t used = 0;
    bool pinned = false;  ///< from prepare(): never evicted
  };
  std::vector<Planned> sessions_;
  uint64_t clock_ = 0;
  size_t max_sessions_ = 6;  ///< not counting pinned plans
  int plans_made_ = 0;
  ModelUsage usage_;
  cv::dnn::Net net_;
  bool net_loaded_ = false;
};

}  // namespace vsp::anpr::detail
