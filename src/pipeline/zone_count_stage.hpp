#pragma once
/// Zone occupancy as a time series, and dense counting where a zone asks for it.
///
/// Every `count_interval_s` of stream time each zone takes one occupancy sample: the tracked count
/// (`boxes`), a dense count of the people standing in the zone (`dense`: person boxes on upscaled
/// tiles fused with head boxes, on a crop around the zone), or `auto` (dense once the tracked
/// count reaches `auto_dense_from`). Samples feed the `zone_occupancy` series; in a dense or auto
/// zone they also drive `zone_overcrowded` (threshold, hysteresis, cool-down: `OvercrowdAlarm`).
/// The dense count costs several detector calls, hence the low rate.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analytics/zone_monitor.hpp"
#include "core/result.hpp"
#include "core/types.hpp"
#include "events/event.hpp"

namespace vsp::crowd {
class CrowdCounter;
}

namespace vsp::pipeline {

/// Overcrowding on sampled counts: fires above `max_occupancy`, re-arms at or below it, never
/// twice within the cool-down. Pure; the caller passes the sample's time.
class OvercrowdAlarm {
 public:
  OvercrowdAlarm(int max_occupancy, double cooldown_s) : max_(max_occupancy), cooldown_s_(cooldown_s) {}
  /// True when this sample fires the alarm.
  bool update(int count, double pts_s);
  void restart() { over_ = false; }

 private:
  int max_;
  double cooldown_s_;
  bool over_ = false;
  double last_fired_s_ = -1e18;
};

/// Is a sample due? (first one, time went back, or `interval_s` since the last).
bool sample_due(std::optional<double> last_pts_s, double pts_s, double interval_s);

struct OccupancySample {
  std::string zone;
  double pts_s = 0;
  int count = 0;
  const char* mode = "boxes";  ///< what counted it: boxes or dense
};

class ZoneCountStage {
 public:
  /// Loads the crowd counter when some zone is dense or auto (error: models missing).
  static core::Result<std::unique_ptr<ZoneCountStage>> create(const std::vector<analytics::ZoneOptions>& zones);
  ~ZoneCountStage();

  /// One analysed frame: samples the zones that are due. `frame` may be null (replay): dense
  /// zones then fall back to the tracked count. Returns zone_overcrowded events; samples go out.
  std::vector<events::Event> update(const core::Image* frame, const std::vector<analytics::ZoneMonitor>& zones,
                                    core::Timestamp ts, std::vector<OccupancySample>& samples);
  /// A new stream: sampling starts again; a zone over its limit may fire again once below.
  void restart();
  /// People counted by the last dense sample of each zone (for tests and the overlay).
  const std::vector<int>& last_dense() const { return last_dense_; }

 private:
  ZoneCountStage() = default;
  int dense_count(const core::Image& frame, const analytics::ZoneMonitor& zone);
  std::unique_ptr<crowd::CrowdCounter> counter_;
  std::vector<std::optional<double>> last_pts_;
  std::vector<std::optional<OvercrowdAlarm>> alarms_;
  std::vector<int> last_dense_;
};

}  // namespace vsp::pipeline
