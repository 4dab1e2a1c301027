#include "road/road_rules.hpp"

#include <algorithm>
#include <cmath>

#include "core/coco.hpp"
#include "core/geometry.hpp"

namespace vsp::road {

namespace {

double round3(double v) { return std::round(v * 1000) / 1000; }
double round1(double v) { return std::round(v * 10) / 10; }

bool class_allowed(const std::vector<int>& classes, int class_id, bool vehicles_by_default) {
  if (!classes.empty()) return std::find(classes.begin(), classes.end(), class_id) != classes.end();
  return !vehicles_by_default || core::is_vehicle_class(class_id);
}

core::Point centroid(const core::Polygon& poly) {
  core::Point c;
  for (const auto& p : poly) c.x += p.x, c.y += p.y;
  if (!poly.empty()) c.x /= poly.size(), c.y /= poly.size();
  return c;
}

}  // namespace

bool has_road_rules(const analytics::RulesOptions& rules) {
  if (!rules.stop_lines.empty()) return true;
  return std::any_of(rules.zones.begin(), rules.zones.end(), [](const auto& z) { return z.road.any(); });
}

RoadRules::RoadRules(RoadRulesOptions options, int frame_width, int frame_height)
    : options_(std::move(options)), width_(frame_width), height_(frame_height) {
  // Each zone's allowed direction as a unit vector on the road, measured at the zone's centre.
  for (const auto& z : options_.zones) {
    std::optional<core::Point> d;
    if (z.road.direction && options_.calibration) {
      const auto& h = options_.calibration->image_to_world;
      const core::Point c = centroid(z.polygon);
      const double n = std::hypot(z.road.direction->x, z.road.direction->y);
      const double eps = 0.01;
      const auto a = h.apply(c),
                 b = h.apply({c.x + eps * z.road.direction->x / n, c.y + eps * z.road.direction->y / n});
      if (a && b) {
        const double len = std::hypot(b->x - a->x, b->y - a->y);
        if (len > 0) d = core::Point{(b->x - a->x) / len, (b->y - a->y) / len};
      }
    }
    zone_dir_m_.push_back(d);
  }
}

void RoadRules::restart(int frame_width, int frame_height) {
  width_ = frame_width;
  height_ = frame_height;
  tracks_.clear();
}

std::optional<SpeedEstimate> RoadRules::speed(int track_id) const {
  const auto it = tracks_.find(track_id);
  if (it == tracks_.end()) return std::nullopt;
  return it->second.world.estimate();
}

std::vector<WorldSample> RoadRules::trajectory(int track_id) const {
  const auto it = tracks_.find(track_id);
  if (it == tracks_.end()) return {};
  return {it->second.history.begin(), it->second.history.end()};
}

events::Event RoadRules::make(const char* type, const std::string& rule, const core::Track& t, double pts_s) const {
  events::Event e;
  e.type = type;
  e.rule = rule;
  e.track_id = t.id;
  e.class_name = std::string(core::coco_name(t.class_id));
  e.pts_s = pts_s;
  return e;
}

void RoadRules::speed_attrs(events::Event& e, const std::optional<SpeedEstimate>& est) const {
  if (!est) return;
  e.attributes["speed_kmh"] = round1(est->speed_kmh());
  e.attributes["speed_sigma_kmh"] = round1(est->sigma_kmh());
}

std::vector<events::Event> RoadRules::update(const core::Tracks& tracks, core::Timestamp ts, std::int64_t ts_ms,
                                             const SignalBoard& signals) {
  std::vector<events::Event> out;
  const auto& zones = options_.zones;
  const auto& lines = options_.stop_lines;
  for (const auto& t : tracks) {
    // Only confirmed tracks matched in this frame: rules never act on predicted boxes.
    if (t.id == 0 || !t.confirmed() || t.frames_since_update != 0) continue;
    TrackState& s = tracks_[t.id];
    if (s.zones.size() != zones.size()) s.zones.resize(zones.size());
    if (s.lines.size() != lines.size()) s.lines.resize(lines.size());
    s.last_seen_s = ts.pts_s;
    const core::Point anchor{t.box_px.bottom_center().x / width_, t.box_px.bottom_center().y / height_};

    // ---- Step 1: the ground point on the road, smoothed -----------------------------------------
    std::optional<SpeedEstimate> est;
    std::optional<core::Point> pos_m;
    if (options_.calibration) {
      const auto& h = options_.calibration->image_to_world;
      if (const auto w = h.apply(anchor)) {
        const double diag = std::hypot(width_, height_);
        const double px = options_.pixel_noise_px / std::max(1.0, diag);  // normalised units
        const double scale = std::max(local_scale_m(h, anchor, {1, 0}), local_scale_m(h, anchor, {0, 1})) *
                             std::sqrt(2.0);  // a normalised diagonal unit is about sqrt(2) axis units
        WorldSample ws{ts.pts_s, *w, px * scale};
        s.world.add(ws);
        s.history.push_back(ws);
        while (!s.history.empty() && s.history.front().t_s < ts.pts_s - 20) s.history.pop_front();
        est = s.world.estimate();
        // The calibration's own scale error moves every speed the same way: it adds in quadrature.
        if (est) est->sigma_mps = std::hypot(est->sigma_mps, options_.scale_error * est->speed_mps);
        pos_m = est ? est->position_m : *w;
      }
    }
    const std::optional<core::Point> prev_m = s.last_smoothed_m;
    s.last_smoothed_m = pos_m;
    const double step_m = (pos_m && prev_m) ? std::hypot(pos_m->x - prev_m->x, pos_m->y - prev_m->y) : 0.0;

    // ---- Step 2: zones --------------------------------------------------------------------------
    for (size_t zi = 0; zi < zones.size(); ++zi) {
      const auto& z = zones[zi];
      const auto& r = z.road;
      if (!r.any()) continue;
      ZoneState& zs = s.zones[zi];
      const bool inside = core::point_in_polygon(anchor, z.polygon);
      if (!inside) {
        if (zs.inside) {
          const auto keep = zs.closure_reported_ms;
          zs = ZoneState{};
          zs.closure_reported_ms = keep;
        }
        continue;
      }
      zs.inside = true;
      const bool vehicle = class_allowed(z.classes, t.class_id, true);

      // Rail crossing: anything inside while closed, at once.
      if (!r.crossing_signal.empty() && class_allowed(z.classes, t.class_id, false)) {
        const auto sig = signals.at(r.crossing_signal, ts_ms);
        if (sig.state == SignalState::red && zs.closure_reported_ms != sig.since_ms) {
          zs.closure_reported_ms = sig.since_ms;
          auto e = make("rail_crossing_entry", z.name, t, ts.pts_s);
          e.attributes["signal"] = r.crossing_signal;
          e.attributes["closed_for_s"] = round3(static_cast<double>(ts_ms - sig.since_ms) / 1000.0);
          speed_attrs(e, est);
          out.push_back(std::move(e));
        }
      }
      if (!vehicle || !pos_m) continue;

      // Wrong way: how far the track has come back against the allowed direction.
      if (zone_dir_m_[zi] && !zs.wrong_way_reported) {
        const double along = pos_m->x * zone_dir_m_[zi]->x + pos_m->y * zone_dir_m_[zi]->y;
        zs.max_along_m = std::max(zs.max_along_m, along);
        const double against = zs.max_along_m - along;
        if (against >= r.min_distance_m) {
          zs.wrong_way_reported = true;
          auto e = make("wrong_way", z.name, t, ts.pts_s);
          e.attributes["distance_m"] = round1(against);
          e.attributes["min_distance_m"] = r.min_distance_m;
          speed_attrs(e, est);
          out.push_back(std::move(e));
        }
      }

      // Speeding: above limit + margin over a continuous stretch of min_distance_m.
      if (r.speed_limit_kmh && !zs.speeding_reported) {
        if (est && est->speed_kmh() > *r.speed_limit_kmh + r.speed_margin_kmh) {
          zs.over_m += step_m;
          zs.over_speed_sum += est->speed_kmh();
          zs.over_speed_max = std::max(zs.over_speed_max, est->speed_kmh());
          zs.over_sigma_max = std::max(zs.over_sigma_max, est->sigma_kmh());
          ++zs.over_n;
          if (zs.over_m >= r.min_distance_m) {
            zs.speeding_reported = true;
            auto e = make("speeding", z.name, t, ts.pts_s);
            e.attributes["speed_kmh"] = round1(zs.over_speed_sum / zs.over_n);
            e.attributes["speed_max_kmh"] = round1(zs.over_speed_max);
            e.attributes["speed_sigma_kmh"] = round1(zs.over_sigma_max);
            e.attributes["limit_kmh"] = *r.speed_limit_kmh;
            e.attributes["margin_kmh"] = r.speed_margin_kmh;
            e.attributes["distance_m"] = round1(zs.over_m);
            out.push_back(std::move(e));
          }
        } else {
          zs.over_m = zs.over_speed_sum = zs.over_speed_max = zs.over_sigma_max = 0;
          zs.over_n = 0;
        }
      }

      // Forbidden stop: stationary for max_stop_s, a queue at a red (or amber) light excepted.
      if (r.no_stopping) {
        const bool stationary = est && est->speed_mps < r.stop_speed_mps;
        bool queued = false;
        if (!r.queue_signal.empty()) {
          const auto q = signals.at(r.queue_signal, ts_ms).state;
          queued = q == SignalState::red || q == SignalState::amber;
        }
        if (!stationary) {
          zs.stop_since_s.reset();
          zs.stop_reported = false;
        } else if (queued) {
          zs.stop_since_s.reset();  // the stop counts from when the light lets the queue go
        } else {
          if (!zs.stop_since_s) zs.stop_since_s = ts.pts_s;
          const double stopped = ts.pts_s - *zs.stop_since_s;
          if (!zs.stop_reported && stopped >= r.max_stop_s - 1e-9) {
            zs.stop_reported = true;
            auto e = make("forbidden_stop", z.name, t, ts.pts_s);
            e.attributes["stopped_s"] = round1(stopped);
            e.attributes["max_stop_s"] = r.max_stop_s;
            e.attributes["stop_speed_mps"] = r.stop_speed_mps;
            speed_attrs(e, est);
            out.push_back(std::move(e));
          }
        }
      }
    }

    // ---- Step 3: stop lines (red light) -----------------------------------------------------------
    for (size_t li = 0; li < lines.size(); ++li) {
      const auto& l = lines[li];
      LineState& ls = s.lines[li];
      if (!class_allowed(l.classes, t.class_id, true)) continue;
      const double c = core::cross(l.p1, l.p2, anchor);
      const int side = c > 0 ? 1 : (c < 0 ? -1 : ls.side);
      // The crossing is stamped when the front passed the line; the signal is read at that time.
      auto decide = [&](core::Timestamp when, std::int64_t when_ms) {
        const auto sig = signals.at(l.signal, when_ms);
        const double red_for_s = static_cast<double>(when_ms - sig.since_ms) / 1000.0;
        if (sig.state == SignalState::red && red_for_s >= l.amber_grace_s - 1e-9) {
          auto e = make("red_light", l.name, t, when.pts_s);
          e.attributes["signal"] = l.signal;
          e.attributes["red_for_s"] = round3(red_for_s);
          e.attributes["amber_grace_s"] = l.amber_grace_s;
          speed_attrs(e, est);
          out.push_back(std::move(e));
        }
        ls.reported = true;  // one decision per track and line
        ls.pending.reset();
      };
      if (ls.pending) {
        if (side < 0)
          ls.pending.reset();  // back before the line: jitter, not a crossing
        else if (++ls.frames_past >= l.min_frames)
          decide(*ls.pending, ls.pending_ms);
      } else if (!ls.reported && ls.side < 0 && side > 0 && ls.last &&
                 core::segments_intersect(*ls.last, anchor, l.p1, l.p2)) {
        ls.pending = ts;
        ls.pending_ms = ts_ms;
        ls.frames_past = 1;
        if (l.min_frames <= 1) decide(ts, ts_ms);
      }
      if (side != 0) ls.side = side;
      ls.last = anchor;
    }
  }
  // Forget tracks gone for a while (the tracker has dropped them by then).
  for (auto it = tracks_.begin(); it != tracks_.end();)
    it = ts.pts_s - it->second.last_seen_s > 10 ? tracks_.erase(it) : std::next(it);
  return out;
}

}  // namespace vsp::road
