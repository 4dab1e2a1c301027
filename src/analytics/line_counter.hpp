#pragma once
/// Counts crossings of one directed segment.
///
///        p1 ──────────────► p2          cross(p2-p1, q-p1) < 0 : left side  (negative)
///     left (−)  │  right (+)            cross(p2-p1, q-p1) > 0 : right side (positive)
///               ▼  "in" = − → +,  "out" = + → −
///
/// A crossing counts when a confirmed track's anchor, having been on one side, stays for
/// `min_frames` observations beyond the dead band on the other side, and its path from the last
/// point on the old side to the first point on the new side cuts the segment itself. Its time is
/// where that path meets the line, interpolated between the two observations' times, so it does
/// not depend on the dead band or on how often the detector runs.
#include <map>

#include "analytics/options.hpp"
#include "core/types.hpp"
#include "events/event.hpp"

namespace vsp::analytics {

struct LineTotals {
  long in = 0, out = 0;
  std::map<std::string, std::pair<long, long>> by_class;  ///< class -> (in, out)
};

class LineCounter {
 public:
  LineCounter(LineOptions options, int frame_width, int frame_height);
  /// Emits one `line_crossing` event per confirmed crossing; ts/pts are when the anchor crossed.
  std::vector<events::Event> update(const core::Tracks& tracks, core::Timestamp ts);
  const LineTotals& totals() const { return totals_; }
  const LineOptions& options() const { return options_; }
  /// A new stream: forgets every track's side (totals stay) and places the line in frames of
  /// this size.
  void restart(int frame_width, int frame_height);

  /// Per-track memory of which side the anchor is on.
  struct TrackSide {
    int side = 0;              ///< stable side: -1, +1, 0 = not yet known
    core::Point last_on_side;  ///< last anchor on the stable side
    double last_on_side_pts_s = 0;
    double last_on_side_dist = 0;  ///< its signed distance to the line, px
    int pending_side = 0;
    int pending_frames = 0;
    bool pending_cuts_segment = false;
    core::Timestamp pending_ts;  ///< when the anchor crossed (pts interpolated on the path), first frame beyond
  };

 private:
  LineOptions options_;
  core::Point p1_px_, p2_px_;
  double dead_band_px_ = 0;
  std::map<int, TrackSide> tracks_;
  LineTotals totals_;
};

core::Point anchor_point(const core::BoxXyxy& box, Anchor anchor);

}  // namespace vsp::analytics
