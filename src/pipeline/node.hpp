#pragma once
/// `vsp serve`: the live node. Owns the store, the detector pool, one worker per camera and the
/// retention thread; `start`/`stop` bring them up and down in order.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "auth/auth_store.hpp"
#include "config/serve_config.hpp"
#include "core/result.hpp"
#include "pipeline/camera_worker.hpp"
#include "pipeline/detector_pool.hpp"
#include "pipeline/evidence_recorder.hpp"
#include "pipeline/metrics.hpp"
#include "record/retention.hpp"
#include "road/signal_board.hpp"
#include "store/store.hpp"
#include "uplink/uplink.hpp"

namespace vsp::pipeline {

/// The storage folder's filesystem and what retention and the store make of it, as the API and
/// /metrics show them. Refreshed every second by the retention thread.
struct StorageStatus {
  std::string path;
  /// "ok"; "low_space" (free space below the reserve: the oldest video is being deleted);
  /// "full" (nothing left to delete, or the database refuses writes for lack of space);
  /// "read_only"; "error" (the folder is unreadable or writes fail for another reason).
  std::string state = "ok";
  std::int64_t fs_size_bytes = 0, fs_free_bytes = 0;   ///< 0 when the filesystem cannot be measured
  std::int64_t reserve_bytes = 0;                      ///< free space retention keeps
  std::int64_t recordings_bytes = 0;                   ///< indexed recordings
  std::optional<std::int64_t> configured_quota_bytes;  ///< storage.retention.max_disk_gb
  std::optional<std::int64_t> effective_quota_bytes;   ///< what recordings may use now
  bool quota_limited_by_filesystem = false;
  long segments_deleted = 0, segment_delete_failures = 0, events_pruned = 0, snapshots_pruned = 0;
  long plate_reads_pruned = 0, audit_pruned = 0;  ///< retention by age of plate reads and audit records
  long evidence_pruned = 0;                       ///< evidence packs deleted by evidence_max_age_days
  std::int64_t retention_applied_ms = 0;          ///< wall clock of the last pruning by age; 0 = none yet
  std::string last_error;                         ///< retention's last failure (kept after recovery)
  store::StoreHealth store;
};

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
  /// Heatmap buckets of every camera (`<storage>/heatmaps/`).
  const crowd::HeatmapFiles& heatmaps() const { return *heatmaps_; }
  const config::ServeConfig& config() const { return config_; }
  /// The uplink's counters; nullopt when the config has no `uplink:`.
  std::optional<uplink::UplinkStatus> uplink_status() const {
    return uplink_ ? std::optional(uplink_->status()) : std::nullopt;
  }
  /// Lets the center read and replace camera rules over the uplink (`vsp.rules.<site>.<node>`);
  /// the API sets it before start() and clears it when it stops. No-op without `uplink:`.
  void set_rules_handler(uplink::RulesHandler handler) {
    if (uplink_) uplink_->set_rules_handler(std::move(handler));
  }
  /// Prometheus text exposition of the node's counters.
  std::string metrics_text();
  /// Remuxes the recorded range into storage/exports/ and returns the file's path; the range's
  /// segments are kept by retention from then on.
  core::Result<std::string> export_clip(const std::string& camera, std::int64_t start_ms, std::int64_t end_ms);
  /// Replaces a camera's run-time rules (lines, zones, privacy masks, calibration) while it runs
  /// (CameraWorker::set_rules) and keeps them in
  /// `<storage>/rules/<camera>.json`, so the node runs them after a restart too, unless the config
  /// file's rules for that camera have changed since (then the file's edit wins). Returns the new
  /// version; fails when the file cannot be written (the running rules are unchanged then), and
  /// with `version_conflict` when `expected_version` is given and is not the current one.
  core::Result<int> set_camera_rules(const std::string& camera, const config::CameraRules& rules,
                                     std::optional<int> expected_version = std::nullopt);
  /// One retention pass (the node runs one every 5 s, and every second while space is short).
  void apply_retention();
  StorageStatus storage();
  /// Signal states the road rules read (`PUT /api/signals/<name>` writes here).
  road::SignalBoard& signals() { return *signals_; }
  /// Every signal name a camera declares (the names the API accepts), sorted.
  std::vector<std::string> signal_names() const;
  /// One path for every external signal input (`PUT /api/signals/<name>`, `source` "api"; the
  /// NATS subject `vsp.signals.<site>.<name>`, "nats"): checks the name and the body
  /// (road::parse_signal_update; `max_age_ms` refuses stale messages), sets the board, counts the
  /// outcome per source (vsp_signal_updates_total) and logs once per state change, and once per
  /// new kind of refusal. Returns the signal's state at the update's time.
  core::Result<road::SignalReading> update_signal(const std::string& name, const std::string& body,
                                                  const std::string& source, std::int64_t received_ms,
                                                  std::optional<std::int64_t> max_age_ms = std::nullopt);
  /// The absolute path of `file` in the evidence pack of `event_id` (no path outside the pack).
  core::Result<std::string> evidence_file(const std::string& event_id, const std::string& file) const;
  /// Writes the clips of evidence packs whose range is recorded by now, and re-seals them.
  void finish_evidence_clips(std::int64_t now_ms);
  /// Public key that seals this node's evidence packs (empty when no camera has road rules).
  std::string evidence_public_key() const;

 private:
  explicit Node(config::ServeConfig c) : config_(std::move(c)) {}
  void recover_segments();
  /// Rules set through the API in an earlier run, for the cameras whose config rules are unchanged.
  static void load_saved_rules(config::ServeConfig& config);
  /// Measures the filesystem into `st` (size, free, read-only); false when it cannot.
  bool measure_disk(StorageStatus& st);
  void delete_segments(const std::vector<std::int64_t>& ids, const std::map<std::int64_t, record::SegmentFile>& rows,
                       std::int64_t now_ms);
  void prune_by_age(const record::RetentionPlan& plan);
  void prune_evidence(std::int64_t now_ms);
  void log_state_changes(const StorageStatus& st, bool low, bool short_of_space);
  record::RetentionLimits limits() const;
  config::ServeConfig config_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<crowd::HeatmapFiles> heatmaps_;
  Histograms histograms_;  ///< before the pool and the workers, which observe into it
  DetectorPool detectors_;
  std::vector<std::unique_ptr<CameraWorker>> workers_;
  std::thread retention_thread_;
  std::atomic<bool> stop_{false};
  std::mutex stop_m_;
  std::condition_variable stop_cv_;
  std::mutex export_m_;
  std::atomic<long> segments_deleted_{0}, segment_delete_failures_{0}, events_pruned_{0}, snapshots_pruned_{0};
  std::atomic<long> plate_reads_pruned_{0}, audit_pruned_{0};
  std::atomic<std::int64_t> retention_applied_ms_{0};
  std::unique_ptr<auth::AuthStore> audit_;  ///< present when storage.retention.audit_max_age_days is set
  std::mutex retention_m_;                  ///< one pass at a time
  std::mutex storage_m_;
  StorageStatus storage_;
  // Retention's state between passes (under retention_m_), for logging once per change.
  bool logged_first_pass_ = false, was_low_ = false, was_short_ = false, was_fs_limited_ = false;
  bool deletes_failing_ = false, disk_unmeasurable_ = false;
  std::int64_t last_age_prune_ms_ = 0;      ///< wall clock of the last pruning by age (0: none yet)
  std::unique_ptr<uplink::Uplink> uplink_;  ///< present when the config has `uplink:`
  /// Each camera's rules as the config file gives them (JSON text), kept next to rules set
  /// through the API so a later start can tell whether the file was edited since.
  std::map<std::string, std::string> config_file_rules_;
  std::mutex rules_m_;  ///< one rule change at a time (version check, file, swap)
  std::shared_ptr<road::SignalBoard> signals_ = std::make_shared<road::SignalBoard>();
  std::shared_ptr<evidence::Signer> signer_;  ///< present when a camera has road rules
  std::mutex clips_m_;
  std::vector<EvidenceClipRequest> clip_queue_;  ///< packs waiting for their clip to be recorded
  std::atomic<long> evidence_pruned_{0};
  std::mutex signal_stats_m_;
  std::map<std::pair<std::string, std::string>, long> signal_updates_;  ///< (source, result) -> count
  std::map<std::string, std::string> signal_last_problem_;              ///< signal -> last refusal logged
};

}  // namespace vsp::pipeline
