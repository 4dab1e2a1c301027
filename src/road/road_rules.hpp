#pragma once
/// The road violations of one camera, from confirmed tracks, the ground-plane calibration and the
/// signal states at each frame's time:
///
///   wrong_way            a zone with `direction`: travelled against it (world metres) >= min_distance_m
///   speeding             a zone with `speed_limit_kmh`: above limit + margin over >= min_distance_m
///   forbidden_stop       a `no_stopping` zone: below stop_speed_mps for max_stop_s (not while its
///                        queue_signal is red or amber: a queue at a light is not a stop)
///   red_light            a stop line: the vehicle's front (bottom-centre of its box: the front of
///                        traffic approaching the camera) crosses it, left of p1->p2 to right,
///                        while its signal has been red longer than amber_grace_s
///   rail_crossing_entry  a zone with `crossing_signal`: anything inside while it is closed (red),
///                        at once, once per object and closure
///
/// Pure: `update(tracks, ts, ts_ms, signals)` decides from values; no clock, no pixels.
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "analytics/options.hpp"
#include "core/types.hpp"
#include "events/event.hpp"
#include "road/calibration.hpp"
#include "road/signal_board.hpp"
#include "road/world_track.hpp"

namespace vsp::road {

struct RoadRulesOptions {
  std::vector<analytics::ZoneOptions> zones;  ///< zones with road keys (others are ignored)
  std::vector<StopLineOptions> stop_lines;
  std::optional<Calibration> calibration;  ///< needed by wrong_way, speeding and forbidden_stop
  double pixel_noise_px = 1.5;
  double scale_error = 0;  ///< relative calibration error, added to every speed's uncertainty
  double speed_window_s = 1.0;
};

/// True when the config asks for any road rule (then the analysis core builds RoadRules).
bool has_road_rules(const analytics::RulesOptions& rules);

class RoadRules {
 public:
  RoadRules(RoadRulesOptions options, int frame_width, int frame_height);
  /// `ts_ms` is the frame's wall-clock time (the time signals are looked up at).
  std::vector<events::Event> update(const core::Tracks& tracks, core::Timestamp ts, std::int64_t ts_ms,
                                    const SignalBoard& signals);
  /// A new stream: every track's state ends (no events are pending in these rules).
  void restart(int frame_width, int frame_height);
  /// The track's current speed estimate (calibrated cameras).
  std::optional<SpeedEstimate> speed(int track_id) const;
  /// The track's recent ground positions (metres), for evidence.
  std::vector<WorldSample> trajectory(int track_id) const;
  const RoadRulesOptions& options() const { return options_; }

 private:
  struct ZoneState {
    bool inside = false;
    double max_along_m = -1e18;
    bool wrong_way_reported = false;
    double over_m = 0, over_speed_sum = 0, over_speed_max = 0, over_sigma_max = 0;
    int over_n = 0;
    bool speeding_reported = false;
    std::optional<double> stop_since_s;
    bool stop_reported = false;
    std::int64_t closure_reported_ms = -1;  ///< since_ms of the closure already reported
  };
  struct LineState {
    int side = 0;  ///< -1 left of p1->p2, +1 right, 0 unknown
    std::optional<core::Point> last;
    std::optional<core::Timestamp> pending;  ///< crossing seen, not yet confirmed
    std::int64_t pending_ms = 0;
    int frames_past = 0;
    bool reported = false;
  };
  struct TrackState {
    WorldTrack world;
    std::optional<core::Point> last_smoothed_m;
    double last_seen_s = 0;
    std::vector<ZoneState> zones;
    std::vector<LineState> lines;
    std::deque<WorldSample> history;  ///< a longer record for evidence (last 20 s)
  };
  events::Event make(const char* type, const std::string& rule, const core::Track& t, double pts_s) const;
  void speed_attrs(events::Event& e, const std::optional<SpeedEstimate>& est) const;

  RoadRulesOptions options_;
  int width_ = 0, height_ = 0;
  std::vector<std::optional<core::Point>> zone_dir_m_;  ///< each zone's allowed direction on the road (unit)
  std::map<int, TrackState> tracks_;
};

}  // namespace vsp::road
