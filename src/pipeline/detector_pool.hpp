#pragma once
/// One detector per distinct detector configuration, shared by every camera that uses it.
/// Calls are serialised per detector (OpenCV already spreads one forward() over the cores).
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/result.hpp"
#include "detect/detector.hpp"
#include "pipeline/metrics.hpp"

namespace vsp::pipeline {

class DetectorPool {
 public:
  /// Loads (once) the detector for these options (every option compared: a camera whose threads,
  /// thresholds or classes differ gets its own); errors name the model file. Returns its key.
  core::Result<std::string> add(const detect::DetectorOptions& options);
  core::Detections detect(const std::string& key, const core::Image& image);
  /// Where forward-pass times go (a histogram per model); none by default.
  void set_histograms(Histograms* h) { histograms_ = h; }
  long inferences() const { return inferences_.load(); }
  double inference_seconds() const { return static_cast<double>(inference_us_.load()) / 1e6; }

 private:
  struct Entry {
    detect::DetectorOptions options;
    std::mutex m;
    std::unique_ptr<detect::Detector> detector;
  };
  std::mutex m_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;  ///< by key: model#n
  Histograms* histograms_ = nullptr;
  std::atomic<long> inferences_{0};
  std::atomic<long long> inference_us_{0};
};

}  // namespace vsp::pipeline
