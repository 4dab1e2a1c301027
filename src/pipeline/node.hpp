#pragma once
/// `vsp serve`: the live node. Owns the store, the detector pool, one worker per camera and the
/// retention thread; `start`/`stop` bring them up and down in order.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/serve_config.hpp"
#include "core/result.hpp"
#include "pipeline/camera_worker.hpp"
#include "pipeline/detector_pool.hpp"
#include "store/store.hpp"
#include "uplink/uplink.hpp"

namespace vsp::pipeline {

class Node {
 public:
  /// Opens the store (migrations), recovers segments cut by a crash, loads every detector.
  static core::Result<std::unique_ptr<Node>> create(const config::ServeConfig& config);
  ~Node();
  void start();
  void stop();

  std::vector<CameraStatus> cameras();
  CameraWorker* camera(const std::string& name);
  store::Store& store() { return *store_; }
  const config::ServeConfig& config() const { return config_; }
  /// The uplink's counters; nullopt when the config has no `uplink:`.
  std::optional<uplink::UplinkStatus> uplink_status() const {
    return uplink_ ? std::optional(uplink_->status()) : std::nullopt;
  }
  /// Prometheus text exposition of the node's counters.
  std::string metrics_text();
  /// Remuxes the recorded range into storage/exports/ and returns the file's path; the range's
  /// segments are kept by retention from then on.
  core::Result<std::string> export_clip(const std::string& camera, std::int64_t start_ms, std::int64_t end_ms);
  /// One retention pass (also run every `retention_interval_s` by the node).
  void apply_retention();

 private:
  explicit Node(config::ServeConfig c) : config_(std::move(c)) {}
  void recover_segments();
  config::ServeConfig config_;
  std::unique_ptr<store::Store> store_;
  DetectorPool detectors_;
  std::vector<std::unique_ptr<CameraWorker>> workers_;
  std::thread retention_thread_;
  std::atomic<bool> stop_{false};
  std::mutex stop_m_;
  std::condition_variable stop_cv_;
  std::mutex export_m_;
  std::atomic<long> segments_deleted_{0};
  std::unique_ptr<uplink::Uplink> uplink_;  ///< present when the config has `uplink:`
};

}  // namespace vsp::pipeline
