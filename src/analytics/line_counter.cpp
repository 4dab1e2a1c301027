#include "analytics/line_counter.hpp"

#include <algorithm>
#include <cmath>

#include "core/coco.hpp"
#include "core/geometry.hpp"

namespace vsp::analytics {

core::Point anchor_point(const core::BoxXyxy& box, Anchor anchor) {
  return anchor == Anchor::bottom_center ? box.bottom_center() : box.center();
}

LineCounter::LineCounter(LineOptions options, int frame_width, int frame_height) : options_(std::move(options)) {
  restart(frame_width, frame_height);
}

void LineCounter::restart(int frame_width, int frame_height) {
  tracks_.clear();
  p1_px_ = {options_.p1.x * frame_width, options_.p1.y * frame_height};
  p2_px_ = {options_.p2.x * frame_width, options_.p2.y * frame_height};
  dead_band_px_ = options_.min_distance * std::hypot(frame_width, frame_height);
}

namespace {
LineCounter::TrackSide on_side(int side, core::Point q, double dist, double pts_s) {
  LineCounter::TrackSide st;
  st.side = side;
  st.last_on_side = q;
  st.last_on_side_dist = dist;
  st.last_on_side_pts_s = pts_s;
  return st;
}
}  // namespace

std::vector<events::Event> LineCounter::update(const core::Tracks& tracks, core::Timestamp ts) {
  std::vector<events::Event> out;
  const double len = std::hypot(p2_px_.x - p1_px_.x, p2_px_.y - p1_px_.y);
  std::map<int, TrackSide> alive;
  for (const auto& t : tracks) {
    if (t.id == 0) continue;  // tentative tracks have no public id yet
    auto it = tracks_.find(t.id);
    TrackSide st = it != tracks_.end() ? it->second : TrackSide{};
    if (t.frames_since_update != 0) {  // no observation this frame: keep state, learn nothing
      alive[t.id] = st;
      continue;
    }
    const core::Point q = anchor_point(t.box_px, options_.anchor);
    const double d = core::cross(p1_px_, p2_px_, q) / len;
    const int s = d > dead_band_px_ ? 1 : d < -dead_band_px_ ? -1 : 0;
    if (st.side == 0) {
      if (s != 0) st = on_side(s, q, d, ts.pts_s);
    } else if (s == st.side) {
      st.last_on_side = q;  // back on the old side: any pending crossing was a flicker
      st.last_on_side_dist = d;
      st.last_on_side_pts_s = ts.pts_s;
      st.pending_side = 0;
      st.pending_frames = 0;
    } else if (s != 0) {
      if (st.pending_side != s) {
        st.pending_side = s;
        st.pending_frames = 0;
        // When the path met the line: linear in the signed distance between the two observations.
        const double frac = st.last_on_side_dist / (st.last_on_side_dist - d);
        st.pending_ts = {ts.frame, st.last_on_side_pts_s + frac * (ts.pts_s - st.last_on_side_pts_s)};
        st.pending_cuts_segment = core::segments_intersect(st.last_on_side, q, p1_px_, p2_px_);
      }
      ++st.pending_frames;
      if (st.pending_frames >= options_.min_frames && t.confirmed()) {
        const bool counts = st.pending_cuts_segment &&
                            (options_.classes.empty() || std::find(options_.classes.begin(), options_.classes.end(),
                                                                   t.class_id) != options_.classes.end());
        if (counts) {
          events::Event e;
          e.type = "line_crossing";
          e.rule = options_.name;
          e.direction = st.side < 0 ? "in" : "out";
          e.track_id = t.id;
          e.class_name = std::string(core::coco_name(t.class_id));
          e.pts_s = st.pending_ts.pts_s;
          e.attributes["frame"] = static_cast<std::int64_t>(st.pending_ts.frame);
          auto& cls = totals_.by_class[e.class_name];
          if (e.direction == "in") {
            ++totals_.in;
            ++cls.first;
          } else {
            ++totals_.out;
            ++cls.second;
          }
          out.push_back(std::move(e));
        }
        st = on_side(s, q, d, ts.pts_s);
      }
    }
    alive[t.id] = st;
  }
  tracks_ = std::move(alive);
  return out;
}

}  // namespace vsp::analytics
