#pragma once
/// One camera of a live node: ingest (per stream role, with reconnect), recording, and analysis.
///
///   record ingest ─┬─► Segmenter ─► segments + index      (never waits for analysis)
///                  └─► [packets, bounded; on overflow drop until the next keyframe]
///   detect ingest ───► (when detect_url differs)            │
///                                                           ▼
///   analysis: decode (pixels only at detect_fps) ─► motion gate ─► detector pool ─► tracker
///             ─► rules ─► store (event + outbox) ; latest frame + overlays for snapshots
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <variant>

#include "config/serve_config.hpp"
#include "core/bounded_queue.hpp"
#include "core/log.hpp"
#include "crowd/heatmap.hpp"
#include "decode/decoder.hpp"
#include "ingest/source.hpp"
#include "pipeline/detector_pool.hpp"
#include "pipeline/evidence_recorder.hpp"
#include "pipeline/metrics.hpp"
#include "pipeline/overlay.hpp"
#include "record/segmenter.hpp"
#include "road/signal_board.hpp"
#include "store/store.hpp"

namespace vsp::pipeline {

enum class CameraState { connecting, streaming, reconnecting, failed, stopped };
const char* to_string(CameraState s);

/// Counters and state of one camera, as the API and /metrics show them.
struct CameraStatus {
  std::string name;
  std::string state;
  std::string last_error;
  double fps_in = 0;        ///< record-stream packets per second (video frames)
  double fps_analysed = 0;  ///< frames per second through motion gating and tracking
  long packets_in = 0, packets_recorded = 0, packets_dropped = 0;
  long frames_decoded = 0;   ///< frames decoded to pixels (those taken at detect_fps)
  long frames_analysed = 0;  ///< frames through motion gating and tracking (the analysis core)
  long frames_detected = 0;  ///< frames the detector ran on
  long restarts = 0;         ///< stream restarts that ended open stays and tracks
  long reconnects = 0, segments = 0, events = 0, corrupt_packets = 0, record_errors = 0;
  long packets_record_failed =
      0;                     ///< packets not recorded: a failed write, or skipped until the next keyframe after one
  long index_errors = 0;     ///< segment index writes that failed (the store retries closing rows)
  std::string recording;     ///< "ok", "failing" (writes fail; retried at each keyframe) or "off"
  std::string record_error;  ///< last recording write error (kept after recovery)
  std::string index_error;   ///< last segment index error (kept after recovery)
  int width = 0, height = 0;
};

struct NodeContext {
  store::Store* store = nullptr;
  DetectorPool* detectors = nullptr;
  std::string storage_root;
  double segment_s = 4;
  std::string site, node;
  Histograms* histograms = nullptr;                ///< event delay and segment write time go here (optional)
  crowd::HeatmapFiles* heatmaps = nullptr;         ///< per-minute heatmap buckets go here (optional)
  std::shared_ptr<road::SignalBoard> signals;      ///< the node's signal states (road rules)
  std::shared_ptr<const evidence::Signer> signer;  ///< set: violations get evidence packs
  EvidenceClipProvider evidence_clip;              ///< queues a pack's clip until it is recorded
};

class CameraWorker {
 public:
  CameraWorker(config::CameraEntry config, std::string detector_key, NodeContext ctx);
  ~CameraWorker();
  void start();
  /// Stops ingest and analysis, closes the open segment. Returns within a few seconds.
  void stop();
  const std::string& name() const { return config_.name; }
  /// The camera's config as started (rules, masks and calibration set later: current_config()).
  const config::CameraConfig& camera_config() const { return config_.camera; }
  CameraStatus status();
  /// JPEG of the latest analysed frame with overlays (without them when `overlays` is false);
  /// nullopt before the first one.
  std::optional<std::string> snapshot_jpeg(bool overlays = true);
  /// Boxes of the people tracked in the latest analysed frame (snapshot pixels), for the privacy
  /// filter's head fallback.
  std::vector<core::BoxXyxy> person_boxes();
  /// Waits up to `timeout_ms` for a frame newer than `seq`; returns the new sequence number.
  std::uint64_t wait_frame(std::uint64_t seq, int timeout_ms);

  /// The camera's run-time rules (lines, zones, privacy masks, calibration) as last set, and their
  /// versions: `version` counts changes (1 = the config's), `applied_version` is the one the
  /// analysis thread runs now.
  struct Rules {
    config::CameraRules rules;
    int version = 1, applied_version = 1;
  };
  Rules rules();
  /// The camera's config as started, with the run-time rules as last set.
  config::CameraConfig current_config();
  /// Replaces the run-time rules without a restart: the analysis thread swaps them in before its
  /// next frame (CameraAnalysis::replace_rules), so the next frame is masked with the new masks.
  /// Thread-safe; returns the new version.
  int set_rules(config::CameraRules rules);

 private:
  struct StreamStart {
    std::shared_ptr<decode::Decoder> decoder;
    double fps = 0;
    std::int64_t opened_wall_ms = 0;  ///< wall clock when the connection opened (anchors ts_utc)
    bool reconnect = false;           ///< not the first connection of this worker
  };
  using Item = std::variant<ingest::Packet, StreamStart>;
  enum class Role { record, detect };

  /// Recording state of one ingest loop, for logging once per change of state.
  struct RecordHealth {
    bool failing = false;
    std::chrono::steady_clock::time_point failing_since;
    long failed_writes = 0, packets_lost = 0;
    bool index_failing = false;
    long index_failures = 0;
  };

  void ingest_loop(Role role);
  void record_packet(record::Segmenter& seg, const ingest::Packet& p, RecordHealth& rec, const core::Logger& log);
  void index_closed(const record::SegmentFile& f, RecordHealth& rec, const core::Logger& log);
  void index_failed(const core::Error& e, RecordHealth& rec, const core::Logger& log);
  void analysis_loop();
  void set_state(CameraState s, const std::string& error = {});
  /// Rules set since the analysis thread last looked, with their version.
  std::optional<std::pair<config::CameraRules, int>> take_pending_rules();
  bool sleep_for(double seconds);  ///< false when stopping

  config::CameraEntry config_;
  std::string detector_key_;
  NodeContext ctx_;
  core::BoundedQueue<Item> queue_{256, core::OverflowPolicy::block};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::mutex sources_m_;
  std::vector<ingest::Source*> open_sources_;
  std::mutex stop_m_;
  std::condition_variable stop_cv_;

  mutable std::mutex status_m_;
  CameraState state_ = CameraState::connecting;
  std::string last_error_;
  bool recording_failing_ = false;
  std::string record_error_, index_error_;
  std::atomic<long> packets_in_{0}, packets_recorded_{0}, packets_dropped_{0}, frames_decoded_{0}, frames_analysed_{0},
      frames_detected_{0}, restarts_{0}, reconnects_{0}, segments_{0}, events_{0}, corrupt_{0}, record_errors_{0},
      packets_record_failed_{0}, index_errors_{0};
  std::atomic<int> width_{0}, height_{0};
  // Rates, computed from counter deltas between status() calls.
  std::chrono::steady_clock::time_point rate_t_ = std::chrono::steady_clock::now();
  long rate_in_ = 0, rate_an_ = 0;
  double fps_in_ = 0, fps_an_ = 0;

  std::mutex frame_m_;
  std::condition_variable frame_cv_;
  std::optional<core::Image> last_frame_;
  OverlayState last_overlay_;
  std::uint64_t frame_seq_ = 0;

  std::mutex rules_m_;  ///< guards the three below; the analysis thread takes `pending_rules_`
  config::CameraRules rules_;
  int rules_version_ = 1;
  std::optional<config::CameraRules> pending_rules_;
  std::atomic<int> applied_rules_version_{1};
};

}  // namespace vsp::pipeline
