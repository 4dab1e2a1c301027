#pragma once
/// Occupancy, entries/exits with inertia, dwell time and overcrowding for one polygon zone.
#include <map>
#include <set>

#include "analytics/line_counter.hpp"
#include "analytics/options.hpp"
#include "events/event.hpp"

namespace vsp::analytics {

struct ZoneTotals {
  long entries = 0, exits = 0;
  int max_occupancy = 0;
  double occupancy_sum = 0;  ///< summed over updates, for the mean
  long updates = 0;
  struct PerClass {
    long entries = 0, exits = 0;
    int max_occupancy = 0;
    double occupancy_sum = 0;
  };
  std::map<std::string, PerClass> by_class;
  double mean_occupancy() const { return updates ? occupancy_sum / static_cast<double>(updates) : 0.0; }
};

class ZoneMonitor {
 public:
  ZoneMonitor(ZoneOptions options, int frame_width, int frame_height);
  std::vector<events::Event> update(const core::Tracks& tracks, core::Timestamp ts);
  /// Ends every stay (end of stream): emits the pending exits.
  std::vector<events::Event> finish();
  /// A new stream: ends every stay (returns the exits, as `finish`) and places the zone in frames
  /// of this size. Totals stay.
  std::vector<events::Event> restart(int frame_width, int frame_height);
  const ZoneTotals& totals() const { return totals_; }
  const ZoneOptions& options() const { return options_; }
  /// Objects inside now, by class.
  const std::map<std::string, int>& occupancy() const { return occupancy_; }

 private:
  struct Stay {
    bool inside = false;
    int streak = 0;  ///< consecutive observations disagreeing with `inside`
    core::Timestamp entered, last_seen_inside;
    bool dwell_reported = false;
    std::string cls;
  };
  events::Event make(const char* type, int track_id, const Stay& s, core::Timestamp ts) const;
  events::Event end_stay(int track_id, const Stay& s);  ///< counts the exit, returns its event
  ZoneOptions options_;
  core::Polygon poly_px_;
  std::map<int, Stay> stays_;
  std::map<std::string, int> occupancy_;
  ZoneTotals totals_;
  bool overcrowded_ = false;
  double last_overcrowded_pts_s_ = -1e18;
};

}  // namespace vsp::analytics
