#pragma once
/// One detector per distinct detector configuration, shared by every camera that uses it.
/// A detector is one or more instances of the same network; each instance runs one forward at a
/// time. `fit` sizes the fast backend's shared detectors to the cores: several single-thread
/// instances that run side by side instead of one forward spread over every core (no OpenMP
/// barrier between cores, which a busy or oversubscribed machine makes expensive).
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "detect/detector.hpp"
#include "pipeline/metrics.hpp"

namespace vsp::pipeline {

class DetectorPool {
 public:
  /// Loads (once) the detector for these options (every option compared: a camera whose threads,
  /// thresholds or classes differ gets its own); errors name the model file. Returns its key.
  /// Each call counts one more user (camera) of that detector.
  core::Result<std::string> add(const detect::DetectorOptions& options);
  /// Call once every camera is added, before the first `detect`. Each detector on the fast backend
  /// with `threads: 0` (the cores) shared by U ≥ 2 cameras becomes min(cores, U) instances of
  /// max(1, cores / instances) threads each; others keep their one instance. Logs what it chose.
  core::Status fit(int cores);
  core::Detections detect(const std::string& key, const core::Image& image);
  /// Where forward-pass times go (a histogram per model); none by default.
  void set_histograms(Histograms* h) { histograms_ = h; }
  long inferences() const { return inferences_.load(); }
  /// Forward time summed over instances (with k instances it can grow k seconds per second).
  double inference_seconds() const { return static_cast<double>(inference_us_.load()) / 1e6; }
  /// Instances of the detector under `key` (0 for an unknown key).
  int instances(const std::string& key);

 private:
  struct Entry {
    detect::DetectorOptions options;
    int users = 0;
    std::vector<std::unique_ptr<detect::Detector>> instances;
    std::mutex m;  ///< guards idle and the tickets
    std::condition_variable freed;
    std::vector<std::size_t> idle;  ///< instances not running a forward
    /// Cameras get an instance in the order they asked (a ticket each): none waits behind a
    /// camera that asked later, however the scheduler wakes them.
    unsigned long next_ticket = 0, serving = 0;
  };
  std::mutex m_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;  ///< by key: model#n
  Histograms* histograms_ = nullptr;
  std::atomic<long> inferences_{0};
  std::atomic<long long> inference_us_{0};
};

}  // namespace vsp::pipeline
