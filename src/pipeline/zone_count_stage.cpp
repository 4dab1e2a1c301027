#include "pipeline/zone_count_stage.hpp"

#include <algorithm>
#include <cmath>

#include "core/geometry.hpp"
#include "crowd/crowd_counter.hpp"

namespace vsp::pipeline {

bool OvercrowdAlarm::update(int count, double pts_s) {
  if (over_ && count <= max_) over_ = false;
  if (!over_ && count > max_ && pts_s - last_fired_s_ >= cooldown_s_) {
    over_ = true;
    last_fired_s_ = pts_s;
    return true;
  }
  return false;
}

bool sample_due(std::optional<double> last_pts_s, double pts_s, double interval_s) {
  if (!last_pts_s || pts_s < *last_pts_s) return true;
  return pts_s - *last_pts_s >= interval_s - 1e-9;
}

core::Result<std::unique_ptr<ZoneCountStage>> ZoneCountStage::create(const std::vector<analytics::ZoneOptions>& zones) {
  std::unique_ptr<ZoneCountStage> s(new ZoneCountStage());
  bool dense = false;
  for (const auto& z : zones) {
    dense = dense || z.count_mode != analytics::ZoneCountMode::boxes;
    s->last_pts_.emplace_back();
    s->last_dense_.push_back(-1);
    if (z.count_mode != analytics::ZoneCountMode::boxes && z.max_occupancy)
      s->alarms_.emplace_back(OvercrowdAlarm(*z.max_occupancy, z.overcrowded_cooldown_s));
    else
      s->alarms_.emplace_back();
  }
  if (dense) {
    auto c = crowd::CrowdCounter::create({});
    if (!c) return c.error();
    s->counter_ = std::move(c.value());
  }
  return s;
}

ZoneCountStage::~ZoneCountStage() = default;

void ZoneCountStage::restart() {
  for (auto& l : last_pts_) l.reset();
  for (auto& a : alarms_)
    if (a) a->restart();
}

int ZoneCountStage::dense_count(const core::Image& frame, const analytics::ZoneMonitor& zone) {
  // ---- Crop: the zone's bounding box, widened 10 % and raised by half its height (the heads of
  // people standing at the zone's far edge are above it), at most the frame.
  double x1 = 1, y1 = 1, x2 = 0, y2 = 0;
  for (const auto& p : zone.options().polygon) {
    x1 = std::min(x1, p.x);
    y1 = std::min(y1, p.y);
    x2 = std::max(x2, p.x);
    y2 = std::max(y2, p.y);
  }
  const double mx = 0.1 * (x2 - x1), my = 0.5 * (y2 - y1);
  const int cx = static_cast<int>(std::floor(std::max(0.0, x1 - mx) * frame.width));
  const int cy = static_cast<int>(std::floor(std::max(0.0, y1 - my) * frame.height));
  const int cw = static_cast<int>(std::ceil(std::min(1.0, x2 + mx) * frame.width)) - cx;
  const int ch = static_cast<int>(std::ceil(std::min(1.0, y2 + 0.1 * (y2 - y1)) * frame.height)) - cy;
  if (cw < 16 || ch < 16) return 0;
  const auto r = counter_->count(crowd::crop(frame, cx, cy, cw, ch), crowd::CountMode::dense);
  // ---- People whose ground point lies in the zone
  core::Polygon poly;
  for (const auto& p : zone.options().polygon) poly.push_back({p.x * frame.width, p.y * frame.height});
  int n = 0;
  for (const auto& person : r.people)
    if (core::point_in_polygon({person.ground.x + cx, person.ground.y + cy}, poly)) ++n;
  return n;
}

std::vector<events::Event> ZoneCountStage::update(const core::Image* frame,
                                                  const std::vector<analytics::ZoneMonitor>& zones, core::Timestamp ts,
                                                  std::vector<OccupancySample>& samples) {
  std::vector<events::Event> out;
  for (size_t i = 0; i < zones.size() && i < last_pts_.size(); ++i) {
    const auto& z = zones[i];
    const auto& o = z.options();
    if (!sample_due(last_pts_[i], ts.pts_s, o.count_interval_s)) continue;
    last_pts_[i] = ts.pts_s;
    int tracked = 0;
    for (const auto& [cls, n] : z.occupancy()) tracked += n;
    OccupancySample s{o.name, ts.pts_s, tracked, "boxes"};
    const bool want_dense =
        o.count_mode == analytics::ZoneCountMode::dense ||
        (o.count_mode == analytics::ZoneCountMode::automatic && tracked >= counter_->options().auto_dense_from);
    if (want_dense && frame && counter_) {
      s.count = dense_count(*frame, z);
      s.mode = "dense";
      last_dense_[i] = s.count;
    }
    if (alarms_[i] && alarms_[i]->update(s.count, ts.pts_s)) {
      events::Event e;
      e.type = "zone_overcrowded";
      e.rule = o.name;
      e.pts_s = ts.pts_s;
      e.count = s.count;
      e.attributes["count_mode"] = std::string(s.mode);
      out.push_back(std::move(e));
    }
    samples.push_back(s);
  }
  return out;
}

}  // namespace vsp::pipeline
