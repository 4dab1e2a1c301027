#include "analytics/zone_monitor.hpp"

#include <algorithm>

#include "core/coco.hpp"
#include "core/geometry.hpp"

namespace vsp::analytics {

ZoneMonitor::ZoneMonitor(ZoneOptions options, int frame_width, int frame_height) : options_(std::move(options)) {
  for (const auto& p : options_.polygon) poly_px_.push_back({p.x * frame_width, p.y * frame_height});
}

std::vector<events::Event> ZoneMonitor::restart(int frame_width, int frame_height) {
  auto out = finish();
  poly_px_.clear();
  for (const auto& p : options_.polygon) poly_px_.push_back({p.x * frame_width, p.y * frame_height});
  overcrowded_ = false;
  return out;
}

events::Event ZoneMonitor::make(const char* type, int track_id, const Stay& s, core::Timestamp ts) const {
  events::Event e;
  e.type = type;
  e.rule = options_.name;
  e.track_id = track_id;
  e.class_name = s.cls;
  e.pts_s = ts.pts_s;
  e.attributes["frame"] = static_cast<std::int64_t>(ts.frame);
  return e;
}

std::vector<events::Event> ZoneMonitor::update(const core::Tracks& tracks, core::Timestamp ts) {
  std::vector<events::Event> out;
  std::set<int> seen;
  for (const auto& t : tracks) {
    if (t.id == 0) continue;  // ids are given at confirmation
    const std::string cls(core::coco_name(t.class_id));
    if (!options_.classes.empty() &&
        std::find(options_.classes.begin(), options_.classes.end(), t.class_id) == options_.classes.end())
      continue;
    seen.insert(t.id);
    Stay& s = stays_[t.id];
    s.cls = cls;
    if (t.frames_since_update != 0) continue;  // unseen: inertia keeps the current state
    const bool in_now = core::point_in_polygon(anchor_point(t.box_px, options_.anchor), poly_px_);
    if (in_now == s.inside) {
      s.streak = 0;
    } else if (++s.streak == 1 && !s.inside) {
      s.entered = ts;  // the entry time is the first frame inside
    }
    if (in_now) s.last_seen_inside = ts;
    if (!s.inside && s.streak >= options_.enter_frames) {
      s.inside = true;
      s.streak = 0;
      s.dwell_reported = false;
      ++totals_.entries;
      ++totals_.by_class[cls].entries;
      out.push_back(make("zone_enter", t.id, s, s.entered));
    } else if (s.inside && s.streak >= options_.exit_frames) {
      s.inside = false;
      s.streak = 0;
      out.push_back(end_stay(t.id, s));
    }
    if (s.inside && options_.dwell_threshold_s && !s.dwell_reported &&
        ts.pts_s - s.entered.pts_s >= *options_.dwell_threshold_s) {
      s.dwell_reported = true;
      auto e = make("zone_dwell", t.id, s, ts);
      e.dwell_s = ts.pts_s - s.entered.pts_s;
      out.push_back(std::move(e));
    }
  }
  // Tracks the tracker dropped: their stay ends where they were last seen inside.
  for (auto it = stays_.begin(); it != stays_.end();) {
    if (seen.count(it->first)) {
      ++it;
      continue;
    }
    if (it->second.inside) out.push_back(end_stay(it->first, it->second));
    it = stays_.erase(it);
  }
  // Occupancy now.
  occupancy_.clear();
  int total = 0;
  for (const auto& [id, s] : stays_)
    if (s.inside) {
      ++occupancy_[s.cls];
      ++total;
    }
  ++totals_.updates;
  totals_.occupancy_sum += total;
  totals_.max_occupancy = std::max(totals_.max_occupancy, total);
  for (auto& [cls, pc] : totals_.by_class) {
    const int n = occupancy_.count(cls) ? occupancy_.at(cls) : 0;
    pc.occupancy_sum += n;
    pc.max_occupancy = std::max(pc.max_occupancy, n);
  }
  for (const auto& [cls, n] : occupancy_) {
    auto& pc = totals_.by_class[cls];
    if (pc.max_occupancy < n) pc.max_occupancy = n;
  }
  // Overcrowding: fire above the limit, re-arm below it (hysteresis), respect the cool-down.
  // (A zone counted densely leaves overcrowding to the dense count: pipeline/zone_count_stage.)
  if (options_.max_occupancy && options_.count_mode == ZoneCountMode::boxes) {
    if (!overcrowded_ && total > *options_.max_occupancy &&
        ts.pts_s - last_overcrowded_pts_s_ >= options_.overcrowded_cooldown_s) {
      overcrowded_ = true;
      last_overcrowded_pts_s_ = ts.pts_s;
      events::Event e;
      e.type = "zone_overcrowded";
      e.rule = options_.name;
      e.pts_s = ts.pts_s;
      e.count = total;
      out.push_back(std::move(e));
    } else if (overcrowded_ && total <= *options_.max_occupancy) {
      overcrowded_ = false;
    }
  }
  return out;
}

events::Event ZoneMonitor::end_stay(int track_id, const Stay& s) {
  ++totals_.exits;
  ++totals_.by_class[s.cls].exits;
  auto e = make("zone_exit", track_id, s, s.last_seen_inside);
  e.dwell_s = s.last_seen_inside.pts_s - s.entered.pts_s;
  return e;
}

std::vector<events::Event> ZoneMonitor::finish() {
  // End of stream: every open stay ends where it was last seen inside. Not an analysed frame,
  // so occupancy statistics are left alone.
  std::vector<events::Event> out;
  for (const auto& [id, s] : stays_)
    if (s.inside) out.push_back(end_stay(id, s));
  stays_.clear();
  occupancy_.clear();
  return out;
}

}  // namespace vsp::analytics
