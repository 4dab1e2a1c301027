#include "analytics/object_watch.hpp"

#include <algorithm>
#include <cmath>

#include "core/coco.hpp"
#include "core/geometry.hpp"

namespace vsp::analytics {

namespace {

/// Share of `a` inside `b`.
double inside(const core::BoxXyxy& a, const core::BoxXyxy& b) {
  const double w = std::min(a.x2, b.x2) - std::max(a.x1, b.x1), h = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (w <= 0 || h <= 0 || a.area() <= 0) return 0;
  return w * h / a.area();
}

/// Shortest distance between two boxes (0 when they touch or overlap).
double gap(const core::BoxXyxy& a, const core::BoxXyxy& b) {
  const double dx = std::max({0.0, double(a.x1 - b.x2), double(b.x1 - a.x2)});
  const double dy = std::max({0.0, double(a.y1 - b.y2), double(b.y1 - a.y2)});
  return std::hypot(dx, dy);
}

double diag(const core::BoxXyxy& b) { return std::hypot(b.width(), b.height()); }

core::BoxXyxy grow(const core::BoxXyxy& b, double f) {
  const float dx = static_cast<float>(b.width() * f), dy = static_cast<float>(b.height() * f);
  return {b.x1 - dx, b.y1 - dy, b.x2 + dx, b.y2 + dy};
}

struct Person {
  int id;
  core::BoxXyxy box;
  double speed_px_s;
};

struct Candidate {
  core::BoxXyxy box;
  bool ghost = false;
  int bag_class = -1;
  bool vacant = false;  ///< the spot shows the empty scene now: evidence the object is gone
};

}  // namespace

ObjectWatch::ObjectWatch(const std::vector<ZoneOptions>& zones, int frame_width, int frame_height,
                         ObjectWatchOptions options)
    : options_(options) {
  for (const auto& z : zones)
    if (watched(z)) zone_options_.push_back(z);
  restart(frame_width, frame_height);
}

void ObjectWatch::restart(int frame_width, int frame_height) {
  zones_.clear();
  for (const auto& z : zone_options_) {
    Zone zz{z, {}};
    for (const auto& p : z.polygon) zz.poly_px.push_back({p.x * frame_width, p.y * frame_height});
    zones_.push_back(std::move(zz));
  }
  diag_px_ = std::max(1.0, std::hypot(double(frame_width), double(frame_height)));
  frame_w_ = frame_width;
  frame_h_ = frame_height;
  objects_.clear();
  people_.clear();
  started_s_.reset();
}

void ObjectWatch::scene_cut(double pts_s) {
  objects_.clear();
  started_s_ = pts_s;
}

int ObjectWatch::zone_of(const core::BoxXyxy& b) const {
  for (size_t i = 0; i < zones_.size(); ++i)
    if (core::point_in_polygon(b.bottom_center(), zones_[i].poly_px) ||
        core::point_in_polygon(b.center(), zones_[i].poly_px))
      return static_cast<int>(i);
  return -1;
}

double ObjectWatch::reach_px(const Object& o) const { return options_.owner_reach * diag_px_ + diag(o.box); }

void ObjectWatch::find_owner(Object& o, double now_s) const {
  // The owner is the track it separated from: of the people who touched it in the recent past,
  // the first (passers-by brush it later); nobody touched it: the one who came closest. It is
  // attended up to the last moment the owner was within reach; with no owner, from when it appeared.
  const double reach = reach_px(o), touch = 0.25 * reach;
  std::map<int, double> closest, first_touch;
  std::set<int> still_touch;  ///< stood still touching it (crouched to put it down)
  for (const auto& [id, seen] : people_)
    for (const auto& s : seen)
      if (s.pts_s >= now_s - options_.history_s) {
        const double g = gap(s.box, o.box);
        auto [it, fresh] = closest.emplace(id, g);
        if (!fresh) it->second = std::min(it->second, g);
        if (g <= touch) first_touch.emplace(id, s.pts_s);  // keeps the first
        if (g <= touch && s.speed_px_s <= options_.still_speed * diag_px_) still_touch.insert(id);
      }
  double best = 1e18;
  for (const auto& [id, t] : first_touch)
    if (t < best) {
      best = t;
      o.owner = id;
    }
  if (!o.owner) {
    best = reach;
    for (const auto& [id, g] : closest)
      if (g <= best) {  // ties: the later track (higher id)
        best = g;
        o.owner = id;
      }
  }
  o.last_attended_s = o.first_seen_s;
  if (!o.owner) return;
  o.owners.insert(*o.owner);
  // The tracker may rename the owner while they crouch: whoever stood still touching it is the
  // owner too (a passer-by brushing past is not still).
  o.owners.insert(still_touch.begin(), still_touch.end());
  double last_near = -1e18;
  for (int id : o.owners)
    for (const auto& s : people_.at(id)) {
      const bool near = gap(s.box, o.box) <= reach;
      if (near && s.pts_s >= last_near) last_near = s.pts_s;
      if (s.pts_s >= o.owner_seen_s) {
        o.owner_seen_s = s.pts_s;
        o.owner_seen_near = near;
        o.owner_last = s.box.bottom_center();
        o.owner_height_px = s.box.height();
      }
    }
  // Last seen next to it and missed since: there for owner_grace_s more (see update).
  o.last_attended_s =
      std::min(o.owner_seen_near ? std::min(last_near + options_.owner_grace_s, now_s) : last_near, now_s);
}

events::Event ObjectWatch::make(const char* type, const Object& o, double pts_s) const {
  events::Event e;
  e.type = type;
  e.pts_s = pts_s;
  e.rule = o.zone >= 0 ? zones_[static_cast<size_t>(o.zone)].options.name : "";
  e.track_id = o.owner.value_or(0);
  e.class_name = o.bag_class >= 0 ? std::string(core::coco_name(o.bag_class)) : "object";
  const core::BoxXyxy& b = o.stable_box.area() > 0 ? o.stable_box : o.box;
  e.box = std::array<double, 4>{std::round(b.x1), std::round(b.y1), std::round(b.width()), std::round(b.height())};
  e.attributes["object_id"] = static_cast<std::int64_t>(o.id);
  return e;
}

ObjectWatchUpdate ObjectWatch::update(const std::vector<StaticRegion>& regions, const core::Tracks& tracks,
                                      core::Timestamp ts) {
  ObjectWatchUpdate out;
  if (zones_.empty()) return out;
  const double now = ts.pts_s;
  if (!started_s_) started_s_ = now;
  const double still_px_s = options_.still_speed * diag_px_;

  // ---- 1. People seen now, and their recent past -------------------------------------------------
  std::vector<Person> people;
  std::vector<core::BoxXyxy> covers;  // every person box now, confirmed or not: what can hide an object
  for (const auto& t : tracks) {
    if (t.class_id != 0 || t.frames_since_update != 0 || t.state == core::TrackState::removed) continue;
    covers.push_back(t.box_px);
    // Owners and attendance need a confirmed track (a new track has no id or speed yet).
    if (!t.confirmed()) continue;
    people.push_back({t.id, t.box_px, std::hypot(t.vx_px_s, t.vy_px_s)});
    people_[t.id].push_back({now, t.box_px, std::hypot(t.vx_px_s, t.vy_px_s)});
  }
  for (auto it = people_.begin(); it != people_.end();) {
    while (!it->second.empty() && it->second.front().pts_s < now - options_.history_s) it->second.pop_front();
    it = it->second.empty() ? people_.erase(it) : std::next(it);
  }

  // People and vehicles matched now: static regions inside them are not left objects.
  std::vector<core::BoxXyxy> others;
  for (const auto& t : tracks)
    if ((t.class_id == 0 || core::is_vehicle_class(t.class_id)) && t.frames_since_update == 0)
      others.push_back(t.box_px);

  // ---- 2. Candidates: the pixel model's regions, fused with still bag tracks ---------------------
  std::vector<Candidate> cands;
  // A region cut by the frame border is something partly out of view (a car waiting at the
  // edge of the picture), not an object left in the watched scene.
  for (const auto& r : regions)
    if (r.box_px.x1 > 2 && r.box_px.y1 > 2 && r.box_px.x2 < frame_w_ - 2 && r.box_px.y2 < frame_h_ - 2)
      cands.push_back({r.box_px, r.ghost, -1, !r.ghost && r.vacant >= options_.vacant_share});
  for (const auto& t : tracks) {
    if (!is_bag_class(t.class_id) || t.frames_since_update != 0 || t.hits < 2) continue;
    if (std::hypot(t.vx_px_s, t.vy_px_s) > still_px_s) continue;
    bool merged = false;
    for (auto& c : cands)
      if (!c.ghost && !c.vacant && (core::iou(c.box, t.box_px) > 0.2 || inside(t.box_px, c.box) > 0.6)) {
        c.bag_class = t.class_id;
        c.box = t.box_px;  // the detector's box of the bag is tighter than the pixels'
        merged = true;
      }
    if (!merged) cands.push_back({t.box_px, false, t.class_id});
  }

  // ---- 3. Candidates → objects (a small move keeps the object) -----------------------------------
  std::vector<bool> matched(objects_.size(), false), vacant(objects_.size(), false);
  for (const auto& c : cands) {
    int best = -1;
    double best_score = 0;
    for (size_t i = 0; i < objects_.size(); ++i) {
      const Object& o = objects_[i];
      if (matched[i]) continue;
      double score = core::iou(o.box, c.box);
      if (score < 0.2) {
        const auto a = o.box.center(), b = c.box.center();
        const double d = std::hypot(a.x - b.x, a.y - b.y), size_ratio = diag(c.box) / std::max(1.0, diag(o.box));
        score = (d <= 0.5 * std::max(diag(o.box), diag(c.box)) && size_ratio > 0.5 && size_ratio < 2) ? 0.1 : 0;
      }
      if (score > best_score) {
        best_score = score;
        best = static_cast<int>(i);
      }
    }
    if (best >= 0 && c.vacant) {
      // The pixel model still holds the region (a person covered it), but its pixels show the
      // empty scene again: a look at the spot without the object.
      matched[static_cast<size_t>(best)] = true;
      vacant[static_cast<size_t>(best)] = true;
      continue;
    }
    if (c.vacant) continue;
    if (best >= 0) {
      Object& o = objects_[static_cast<size_t>(best)];
      matched[static_cast<size_t>(best)] = true;
      o.box = c.box;
      o.ghost_votes += c.ghost ? 1 : 0;
      if (c.bag_class >= 0) o.bag_class = c.bag_class;
      continue;
    }
    if (objects_.size() >= 256) continue;
    Object o;
    o.id = next_id_++;
    o.box = c.box;
    o.ghost_votes = c.ghost ? 1 : 0;
    o.bag_class = c.bag_class;
    o.zone = zone_of(c.box);
    o.first_seen_s = o.last_seen_s = now;
    find_owner(o, now);
    objects_.push_back(o);
    matched.push_back(true);
    vacant.push_back(false);
  }

  // ---- 4. Each object: seen, hidden or gone; attended or alone -----------------------------------
  std::vector<Object> kept;
  for (size_t i = 0; i < objects_.size(); ++i) {
    Object o = objects_[i];
    // A look at the object: seen (its region, not back to the empty scene), hidden (a person box
    // covers it and the spot does not show the empty scene), or gone (neither).
    const bool seen = matched[i] && !vacant[i];
    bool hidden = false;
    if (!vacant[i])
      for (const auto& b : covers) hidden = hidden || inside(o.box, grow(b, 0.1)) >= 0.3;
    if (hidden && !o.cover_since_s) o.cover_since_s = now;
    if (seen && !hidden) o.cover_since_s.reset();
    if (seen) {
      o.last_seen_s = now;
      o.gone_since_s.reset();
      ++o.observations;
      // Is it a part of a person or a vehicle (a still person's legs, a parked car)? A moving
      // average over the last looks, so the owner standing beside it stops counting once gone.
      bool part_of_other = false;
      for (const auto& b : others) part_of_other = part_of_other || inside(o.box, grow(b, 0.15)) >= 0.5;
      o.other_score += 0.15 * ((part_of_other ? 1.0 : 0.0) - o.other_score);
      if (!hidden && !o.ghost) out.visible.emplace_back(o.id, o.box);
      // The box events report: the object as last seen whole (not half hidden, not half gone).
      const double ratio = o.stable_box.area() > 0 ? o.box.area() / o.stable_box.area() : 1.0;
      if (!hidden && !o.abandoned && o.other_score < 0.5 && ratio > 0.6 && ratio < 3) o.stable_box = o.box;
    } else if (!hidden && !o.gone_since_s) {
      // Gone since it was last seen uncovered: a person who stood over it took it (the cover hid
      // the moment), else now.
      o.gone_since_s = o.cover_since_s.value_or(now);
    }
    const double unseen_s = now - o.last_seen_s;

    // Outside every watched zone: let the pixel model forget it.
    if (o.zone < 0) {
      if (seen && now - o.first_seen_s >= options_.forget_outside_s)
        out.absorb.push_back(o.box);
      else if (unseen_s < 2)
        kept.push_back(o);
      continue;
    }
    const ZoneOptions& zo = zones_[static_cast<size_t>(o.zone)].options;

    // Background taken away (most looks say so): a removal once it lasts; never an abandoned
    // object. Without removed_after_s the pixel model forgets it after a while.
    o.ghost = o.observations >= 3 && 2 * o.ghost_votes > o.observations;
    if (o.ghost) {
      if (!zo.removed_after_s) {
        if (now - o.first_seen_s >= options_.forget_ghost_s)
          out.absorb.push_back(o.box);
        else if (unseen_s < 2)
          kept.push_back(o);
        continue;
      }
      // The region becomes static a few seconds after the object went: count from first sight.
      // Only a piece of the scene big enough to matter, inside the frame, that somebody came
      // near before it went (a far-away passer-by learnt into the first frame is none of these).
      const bool border = o.box.x1 <= 1 || o.box.y1 <= 1 || o.box.x2 >= frame_w_ - 1 || o.box.y2 >= frame_h_ - 1;
      // And not in the first moments of the stream: the empty-scene model starts from the first
      // frame, so somebody standing still in it leaves a "ghost" when they go.
      const bool credible = !border && o.box.area() >= options_.min_ghost_area * frame_w_ * frame_h_ && o.owner &&
                            o.first_seen_s - *started_s_ >= options_.min_scene_age_s;
      if (!credible) {
        if (now - o.first_seen_s >= options_.forget_ghost_s)
          out.absorb.push_back(o.box);
        else if (unseen_s < 2)
          kept.push_back(o);
        continue;
      }
      if (seen && now - o.first_seen_s >= *zo.removed_after_s) {
        auto e = make("object_removed", o, now);
        e.track_id = 0;
        e.class_name = "object";
        e.attributes["kind"] = std::string("background");
        out.events.push_back(std::move(e));
        out.absorb.push_back(o.box);
        continue;
      }
      if (unseen_s < 2) kept.push_back(o);
      continue;
    }

    // Seen on its own for a while, it is an object for good: a person who then stands over it
    // (a passer-by, the one who takes it) does not turn it into a part of that person.
    if (o.observations >= 5 && o.other_score < 0.3 && o.last_seen_s - o.first_seen_s >= options_.confirm_s)
      o.established = true;
    const bool person_like = !o.established && o.other_score > 0.5;
    const bool is_object = o.last_seen_s - o.first_seen_s >= options_.confirm_s && !person_like;

    // Attended: the owner within reach; a lost owner handed over to a person standing where the
    // owner stood (the tracker renamed them); no owner known: a person standing still next to it
    // while it is new (the tracker missed who put it down). A stranger who stops by later does
    // not attend it (passers-by are ignored).
    const double reach = reach_px(o);
    // Every name the owner went by counts (a tracker may split one person into two tracks).
    const Person* owner_now = nullptr;
    for (const auto& p : people)
      if (o.owners.count(p.id) && (!owner_now || gap(p.box, o.box) < gap(owner_now->box, o.box))) owner_now = &p;
    // An owner last seen within reach and missed since (by the detector, standing still next to
    // their bag, or behind something) is taken to be there for owner_grace_s more.
    if (!owner_now && o.owner_seen_near && now - o.owner_seen_s <= options_.owner_grace_s) o.last_attended_s = now;
    if (!owner_now && o.owner && now - o.owner_seen_s >= options_.handover_after_s) {
      for (const auto& p : people) {
        const auto b = p.box.bottom_center();
        if (p.speed_px_s <= still_px_s &&
            std::hypot(b.x - o.owner_last.x, b.y - o.owner_last.y) <= 0.5 * o.owner_height_px &&
            gap(p.box, o.box) <= reach) {
          o.owners.insert(p.id);
          owner_now = &p;
          break;
        }
      }
    }
    if (!o.owner && now - o.first_seen_s <= options_.adopt_window_s) {
      for (const auto& p : people)
        if (p.speed_px_s <= still_px_s && gap(p.box, o.box) <= 0.5 * reach) {
          o.owner = p.id;
          o.owners.insert(p.id);
          owner_now = &p;
          break;
        }
    }
    if (owner_now) {
      o.owner_seen_s = now;
      o.owner_seen_near = gap(owner_now->box, o.box) <= reach;
      o.owner_last = owner_now->box.bottom_center();
      o.owner_height_px = owner_now->box.height();
      if (o.owner_seen_near) o.last_attended_s = now;
    }

    if (is_object && zo.abandoned_after_s && !o.abandoned && !o.gone_since_s &&
        now - o.last_attended_s >= *zo.abandoned_after_s) {
      auto e = make("object_abandoned", o, now);
      e.attributes["alone_since_pts_s"] = std::round(o.last_attended_s * 1000) / 1000;
      out.events.push_back(std::move(e));
      o.abandoned = true;
    }

    if (!o.gone_since_s) {
      kept.push_back(o);
      continue;
    }
    const double gone_s = now - *o.gone_since_s;
    const bool stood = o.last_seen_s - o.first_seen_s >= options_.min_present_s && !person_like;
    if (o.abandoned && gone_s >= options_.clear_after_s) {
      out.events.push_back(make("object_cleared", o, now));
      o.abandoned = false;
    }
    if (zo.removed_after_s && stood) {
      if (gone_s >= *zo.removed_after_s) {
        auto e = make("object_removed", o, now);
        e.attributes["gone_since_pts_s"] = std::round(*o.gone_since_s * 1000) / 1000;
        e.attributes["kind"] = std::string("object");
        out.events.push_back(std::move(e));
        continue;
      }
      kept.push_back(o);
      continue;
    }
    if (o.abandoned || gone_s < std::max(1.0, options_.clear_after_s)) kept.push_back(o);
  }
  objects_ = std::move(kept);
  return out;
}

}  // namespace vsp::analytics
