#pragma once
/// The per-camera analysis core: everything between "a frame (or a set of detections) at time t"
/// and "events in a sink". `vsp analyze` (a file), `vsp serve` (a live stream) and detection
/// replay (MOT files, no pixels) all drive this one class, so a fix lands in all three.
///
///   frame ─► should_detect? ─(yes)─► detections ─► tracker ─► lines, zones, plates,  ─► reorder ─► sink
///                                                                left/removed objects
///              (motion gate,                                                          (by pts,
///               moving tracks,                                                         bounded)
///               max interval)
///
/// Time comes only from the frames' timestamps. A stream restart (a reconnect, a looped file, a
/// timestamp jump, a new frame size) ends every open stay and track explicitly and says why.
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analytics/line_counter.hpp"
#include "analytics/zone_monitor.hpp"
#include "config/analyze_config.hpp"
#include "core/result.hpp"
#include "core/types.hpp"
#include "crowd/heatmap.hpp"
#include "detect/motion_gate.hpp"
#include "events/event.hpp"
#include "pipeline/evidence_recorder.hpp"
#include "privacy/static_mask.hpp"
#include "road/road_rules.hpp"
#include "road/signal_board.hpp"
#include "road/signal_head.hpp"
#include "track/tracker.hpp"

namespace vsp::pipeline {

class PlateStage;
class ObjectStage;
class ZoneCountStage;

/// Frame rate assumed when a stream does not say (analyze, replay and the node use this value).
inline constexpr double kFallbackFps = 25;

// ---- Gate: when must the detector run on a frame? (pure; table-tested) -------------------------
struct GateInput {
  bool gating = true;                       ///< false = every sampled frame is detected
  double changed_fraction = 1;              ///< motion gate's share of changed pixels (1 = unknown)
  double min_changed_fraction = 0;          ///< motion threshold
  bool tracks_moving = false;               ///< a confirmed track moves faster than `moving_px_s`
  double pts_s = 0;                         ///< this frame's time
  std::optional<double> last_detect_pts_s;  ///< when the detector last ran; none = never
  double max_interval_s = 1;                ///< run at least this often
};
enum class GateReason { not_gated, first_frame, motion, moving_tracks, interval, time_went_back, skip };
const char* to_string(GateReason r);
/// The decision and why (the reason is counted in metrics; `skip` means "do not detect").
GateReason should_detect(const GateInput& in);

struct CameraAnalysisOptions {
  std::string camera = "camera";  ///< stamped on every event
  std::string site = "local", node = "local";
  /// Tracker, rules, anpr and motion gating (`motion.enabled`: on for serve cameras, for analyze
  /// only with `motion:`); the detector settings are the driver's.
  config::CameraConfig config;
  double nominal_fps = 25;      ///< expected detector calls per second (tracker's nominal rate)
  std::string snapshot_dir;     ///< plate crops (anpr); empty = none
  std::string snapshot_prefix;  ///< what `snapshot_ref` holds before the file name
  /// Tracks the rules saw, for `--tracks-out`: called after each tracker update.
  std::function<void(core::Timestamp, const core::Tracks&)> on_tracks;
  /// Zone occupancy samples (every zone, at its `count_interval_s`): zone, time, UTC ms, count.
  std::function<void(const std::string& zone, core::Timestamp, std::int64_t utc_ms, int count)> on_occupancy;
  /// Heatmap accumulation of confirmed tracks (`heatmap()`); closed one-minute buckets go here.
  bool heatmap = false;
  std::function<void(const std::vector<crowd::HeatBucket>&)> on_heatmap;
  /// Signal states the road rules read (shared with the API in serve); null = the core's own.
  std::shared_ptr<road::SignalBoard> signals;
  /// Analyze: signal changes by stream time (`at_ms` = pts in ms), applied as the stream reaches them.
  std::vector<road::SignalChange> signal_timeline;
  /// Evidence packs of violations; `evidence.root` empty = none.
  EvidenceOptions evidence;
};

/// What the core has counted so far (the drivers add their own I/O counters).
struct AnalysisStats {
  long frames = 0;           ///< frames offered (sampled frames, or replay frames)
  long frames_detected = 0;  ///< frames the detector ran on (tracker updates)
  long events = 0;
  long restarts = 0;
  std::map<std::string, long> gate_reasons;
};

class CameraAnalysis {
 public:
  /// Fails when a rule's stage cannot be built (e.g. the plate models are missing).
  static core::Result<std::unique_ptr<CameraAnalysis>> create(CameraAnalysisOptions options, events::EventSink& sink);
  ~CameraAnalysis();
  CameraAnalysis(const CameraAnalysis&) = delete;
  CameraAnalysis& operator=(const CameraAnalysis&) = delete;

  /// A (new) stream begins: frames are `width`x`height`, and `epoch_ms` is the wall-clock time of
  /// pts 0 (ts_utc = epoch_ms + pts). A second call ends the previous stream's stays and tracks
  /// (emitting their pending events) and logs `reason`.
  void start_stream(int width, int height, std::int64_t epoch_ms, const std::string& reason);

  /// Blacks out the camera's privacy masks in `frame`, in place. Drivers call it on every decoded
  /// frame before anything else sees it (motion gate, detector, live view, snapshots, annotated
  /// video); `update` also drops detections centred in a mask (replay has no pixels). Thread-safe.
  void mask(core::Image& frame) const { mask_.apply(frame); }
  const privacy::StaticMask& privacy_mask() const { return mask_; }

  /// Offers a frame: true when the detector must run on it (then call `update`). Frames whose
  /// time jumps (backwards, or forwards by more than `max_gap_s`) restart the stream state.
  bool offer(const core::Image& frame);
  /// The same for a frame without pixels (replay): no motion gate.
  bool offer(core::Timestamp ts);

  /// Detections of the frame last offered: track, run the rules, emit events. `frame` (pixels) is
  /// needed only by plate reading; nullptr in replay.
  void update(const core::Detections& detections, core::Timestamp ts, const core::Image* frame);

  /// End of stream / stop: every pending event is emitted (open stays end, plate consensus,
  /// the reorder buffer drains), then the sink is flushed.
  void finish();

  /// Swaps in new lines, zones, privacy masks and calibration without a restart (the node's rule
  /// editor). Open stays of the old zones end here (their exits are emitted); tracks, the clock and
  /// the held events carry on; the new rules count from the next update, the new masks black out
  /// the next frame given to `mask`, and the next speeds are measured on the new calibration. Call
  /// from the thread that drives the core. A calibration that does not fit (the config parser
  /// refuses those) leaves the old one in place, logged.
  void replace_rules(config::CameraRules rules);
  const analytics::RulesOptions& rules() const { return options_.config.rules; }

  const core::Tracks& tracks() const { return tracks_; }
  const std::vector<analytics::LineCounter>& lines() const { return lines_; }
  const std::vector<analytics::ZoneMonitor>& zones() const { return zones_; }
  const AnalysisStats& stats() const { return stats_; }
  const PlateStage* plates() const { return plates_.get(); }
  const ZoneCountStage* zone_counts() const { return zone_counts_.get(); }
  /// Null unless `options.heatmap`.
  const crowd::HeatmapAccumulator* heatmap() const { return heat_.get(); }
  const road::RoadRules* road() const { return road_.get(); }
  const road::SignalBoard& signals() const { return *signals_; }
  long evidence_packs() const { return evidence_ ? evidence_->packs_written() : 0; }
  /// Confirmed track id -> class voted at its last report.
  const std::map<int, int>& confirmed_classes() const { return confirmed_class_; }
  /// How long events are held to be written in time order (seconds of stream time).
  double reorder_horizon_s() const { return horizon_s_; }

  /// A frame time jump longer than this restarts the stream state.
  static constexpr double max_gap_s = 30;
  /// The reorder buffer waits at most this long for the tracker to give up a lost track.
  static constexpr double kMaxLostWait_s = 1.0;

 private:
  CameraAnalysis(CameraAnalysisOptions options, events::EventSink& sink);
  void restart(const std::string& reason);
  void emit(std::vector<events::Event> evs);
  void release(double up_to_pts_s);  ///< writes held events with pts <= up_to, in time order
  bool check_time(double pts_s);     ///< restarts on a jump; false for the first frame after it
  void build_objects();              ///< left/removed objects from the current zones (after start)
  void build_road();                 ///< road rules from the current rules (after start)
  void set_horizon();                ///< from the rules' confirmation frames and the tracker
  void build_mask();                 ///< mask_ from the config's privacy masks
  std::int64_t wall_ms(double pts_s) const { return epoch_ms_ + static_cast<std::int64_t>(std::llround(pts_s * 1000)); }
  void apply_timeline(double up_to_pts_s);
  core::BoxXyxy box_of(int track_id) const;
  nlohmann::json evidence_facts(const events::Event& e) const;

  CameraAnalysisOptions options_;
  events::EventSink& sink_;
  track::Tracker tracker_;
  std::unique_ptr<detect::MotionGate> gate_;
  std::unique_ptr<PlateStage> plates_;
  std::unique_ptr<ObjectStage> objects_;  ///< left/removed objects, when a zone is watched
  std::unique_ptr<ZoneCountStage> zone_counts_;
  std::unique_ptr<crowd::HeatmapAccumulator> heat_;
  void emit_heat(std::vector<crowd::HeatBucket> buckets);
  privacy::StaticMask mask_;  ///< the camera's privacy masks (normalised)
  std::vector<analytics::LineCounter> lines_;
  std::vector<analytics::ZoneMonitor> zones_;
  std::optional<road::Calibration> calibration_;
  std::unique_ptr<road::RoadRules> road_;
  std::shared_ptr<road::SignalBoard> signals_;
  std::vector<road::SignalHeadReader> heads_;
  size_t timeline_next_ = 0;
  std::unique_ptr<EvidenceRecorder> evidence_;
  core::Tracks tracks_;
  std::map<int, int> confirmed_class_;
  AnalysisStats stats_;
  int width_ = 0, height_ = 0;
  std::int64_t epoch_ms_ = 0;
  bool started_ = false;
  std::optional<double> last_pts_s_;         ///< last frame offered
  std::optional<double> last_detect_pts_s_;  ///< last frame detected
  double horizon_s_ = 0;
  std::vector<events::Event> held_;  ///< waiting for the reorder horizon
  double released_pts_s_ = -1e18;    ///< everything up to here has been written
};

}  // namespace vsp::pipeline
