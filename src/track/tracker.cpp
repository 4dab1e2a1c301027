#include "track/tracker.hpp"

#include <algorithm>
#include <cmath>

#include "core/assignment.hpp"
#include "core/geometry.hpp"

namespace vsp::track {

using core::Detection;
using core::TrackState;

namespace {

core::BoxXyxy expand(const core::BoxXyxy& b, double fraction) {
  const float dx = static_cast<float>(b.width() * fraction / 2), dy = static_cast<float>(b.height() * fraction / 2);
  return {b.x1 - dx, b.y1 - dy, b.x2 + dx, b.y2 + dy};
}

/// Pairs (track index, detection index) of a minimum-cost assignment with cost <= max_cost.
struct Matching {
  std::vector<std::pair<int, int>> pairs;
  std::vector<int> unmatched_tracks, unmatched_dets;
};

template <class CostFn>
Matching associate(const std::vector<int>& tracks, const std::vector<int>& dets, float max_cost, CostFn cost_fn) {
  Matching m;
  if (tracks.empty() || dets.empty()) {
    m.unmatched_tracks = tracks;
    m.unmatched_dets = dets;
    return m;
  }
  core::CostMatrix cm{static_cast<int>(tracks.size()), static_cast<int>(dets.size()), {}};
  cm.cost.resize(tracks.size() * dets.size());
  for (size_t i = 0; i < tracks.size(); ++i)
    for (size_t j = 0; j < dets.size(); ++j) {
      const double c = cost_fn(tracks[i], dets[j]);
      // Forbidden pairs get a flat cost above the gate so they never displace a valid pair.
      cm.at(static_cast<int>(i), static_cast<int>(j)) = c > max_cost ? max_cost + 1.0 : c;
    }
  const auto assign = core::solve_assignment(cm);
  std::vector<char> det_used(dets.size(), 0);
  for (size_t i = 0; i < tracks.size(); ++i) {
    const int j = assign[i];
    if (j >= 0 && cm.at(static_cast<int>(i), j) <= max_cost) {
      m.pairs.emplace_back(tracks[i], dets[static_cast<size_t>(j)]);
      det_used[static_cast<size_t>(j)] = 1;
    } else {
      m.unmatched_tracks.push_back(tracks[i]);
    }
  }
  for (size_t j = 0; j < dets.size(); ++j)
    if (!det_used[j]) m.unmatched_dets.push_back(dets[j]);
  return m;
}

}  // namespace

double Tracker::similarity(const core::BoxXyxy& a, const core::BoxXyxy& b) const {
  double o = core::iou(a, b);
  if (o <= 0) return 0;
  if (options_.height_iou_power > 0) {
    const double inter = std::max(0.f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
    const double uni = std::max(a.y2, b.y2) - std::min(a.y1, b.y1);
    o *= std::pow(uni > 0 ? inter / uni : 0.0, options_.height_iou_power);
  }
  if (options_.centre_distance_weight > 0) {
    const double dx = (a.x1 + a.x2 - b.x1 - b.x2) / 2.0, dy = (a.y1 + a.y2 - b.y1 - b.y2) / 2.0;
    const double cw = std::max(a.x2, b.x2) - std::min(a.x1, b.x1), ch = std::max(a.y2, b.y2) - std::min(a.y1, b.y1);
    const double diag2 = cw * cw + ch * ch;
    if (diag2 > 0) o -= options_.centre_distance_weight * (dx * dx + dy * dy) / diag2;
  }
  return std::max(0.0, o);
}

namespace {
/// Area of `b` inside a width x height frame.
double area_inside(const core::BoxXyxy& b, int width, int height) {
  const double w = std::max(0.f, std::min(b.x2, static_cast<float>(width)) - std::max(b.x1, 0.f));
  const double h = std::max(0.f, std::min(b.y2, static_cast<float>(height)) - std::max(b.y1, 0.f));
  return w * h;
}
}  // namespace

bool reported(const core::Track& t, const TrackerOptions& o, int width, int height) {
  if (t.id == 0) return false;
  if (t.frames_since_update == 0) return true;
  // Time unseen in nominal frames against the allowance rounded to whole frames.
  const double allowed = static_cast<double>(std::lround(o.report_predicted_s * o.frame_rate));
  if (t.seconds_since_update * o.frame_rate > allowed + 1e-6 || t.hits < o.report_predicted_min_hits) return false;
  if (o.report_predicted_max_exit < 1 && width > 0 && height > 0) {
    // Where the box was when last matched: the predicted box moved back by its velocity.
    const auto& b = t.box_px;
    const auto sx = static_cast<float>(t.vx_px_s * t.seconds_since_update);
    const auto sy = static_cast<float>(t.vy_px_s * t.seconds_since_update);
    const core::BoxXyxy seen{b.x1 - sx, b.y1 - sy, b.x2 - sx, b.y2 - sy};
    const double area = static_cast<double>(b.width()) * b.height();
    if (area <= 0 ||
        area_inside(b, width, height) < area_inside(seen, width, height) - o.report_predicted_max_exit * area)
      return false;
  }
  return true;
}

Tracker::Tracker(TrackerOptions options) : options_(options) {}

void Tracker::reset() {
  items_.clear();
  call_ = -1;
  last_pts_s_ = 0;
  first_update_ = true;
}

void Tracker::apply_camera_motion(const std::array<double, 6>& m) {
  const double scale = std::sqrt(std::abs(m[0] * m[4] - m[1] * m[3]));
  auto move_state = [&](KalmanBoxFilter::State& st) {
    auto& x = st.mean;
    const double cx = x[0], cy = x[1], vx = x[4], vy = x[5];
    x[0] = m[0] * cx + m[1] * cy + m[2];
    x[1] = m[3] * cx + m[4] * cy + m[5];
    x[4] = m[0] * vx + m[1] * vy;
    x[5] = m[3] * vx + m[4] * vy;
    for (int k : {2, 3, 6, 7}) x[static_cast<size_t>(k)] *= scale;
  };
  auto move_box = [&](core::BoxXyxy& b) {
    const double cx = (b.x1 + b.x2) / 2.0, cy = (b.y1 + b.y2) / 2.0;
    const double hw = b.width() * scale / 2.0, hh = b.height() * scale / 2.0;
    const double nx = m[0] * cx + m[1] * cy + m[2], ny = m[3] * cx + m[4] * cy + m[5];
    b = {static_cast<float>(nx - hw), static_cast<float>(ny - hh), static_cast<float>(nx + hw),
         static_cast<float>(ny + hh)};
  };
  for (auto& t : items_) {
    move_state(t.kf);
    move_state(t.kf_at_last_obs);
    move_box(t.last_obs);
  }
}

void Tracker::apply_match(Item& t, const Detection& d, std::int64_t call, double pts_s) {
  const std::int64_t gap = call - t.last_obs_call;
  if (options_.observation_reupdate && gap > 1 && t.hits > 0) {
    // ---- ORU: replay the filter from the last observation along a straight virtual path ------
    // One virtual observation per missed call, spaced evenly over the time that passed.
    const double step = std::max(0.0, pts_s - t.last_obs_pts_s) * options_.frame_rate / static_cast<double>(gap);
    t.kf = t.kf_at_last_obs;
    for (std::int64_t k = 1; k < gap; ++k) {
      const float a = static_cast<float>(k) / static_cast<float>(gap);
      const core::BoxXyxy v{
          t.last_obs.x1 + a * (d.box_px.x1 - t.last_obs.x1), t.last_obs.y1 + a * (d.box_px.y1 - t.last_obs.y1),
          t.last_obs.x2 + a * (d.box_px.x2 - t.last_obs.x2), t.last_obs.y2 + a * (d.box_px.y2 - t.last_obs.y2)};
      kf_.predict(t.kf, step);
      kf_.update(t.kf, v);
    }
    kf_.predict(t.kf, step);
  }
  kf_.update(t.kf, d.box_px);
  t.kf_at_last_obs = t.kf;
  t.last_obs = d.box_px;
  t.last_obs_call = call;
  t.last_obs_pts_s = pts_s;
  t.score = d.score;
  ++t.hits;
  t.streak = t.state == TrackState::tentative ? t.streak + 1 : t.streak;
  auto vote = std::find_if(t.class_votes.begin(), t.class_votes.end(), [&](auto& v) { return v.first == d.class_id; });
  if (vote == t.class_votes.end())
    t.class_votes.emplace_back(d.class_id, d.score);
  else
    vote->second += d.score;
  if (t.state == TrackState::lost) t.state = TrackState::confirmed;
  t.best_score = std::max(t.best_score, d.score);
  const bool steady_enough =
      t.best_score >= options_.quick_confirm_score || pts_s - t.first_obs_pts_s >= options_.slow_confirm_s - 1e-9;
  if (t.state == TrackState::tentative && ((t.streak >= options_.min_hits && steady_enough) || first_update_)) {
    t.state = TrackState::confirmed;
    t.id = next_id_++;
  }
}

void Tracker::scale_scores(const core::Detections& detections) {
  scaled_ = detections;
  if (options_.score_scale == ScoreScale::unit) return;
  for (const auto& d : detections) {
    if (d.score < 0.f || d.score > 1.f) out_of_unit_ = true;
    if (static_cast<int>(calibration_.size()) < options_.score_calibration_size)
      calibration_.insert(std::upper_bound(calibration_.begin(), calibration_.end(), d.score), d.score);
  }
  if (options_.score_scale == ScoreScale::automatic && !out_of_unit_) return;
  const auto n = static_cast<float>(calibration_.size());
  for (auto& d : scaled_) {
    const auto [lo, hi] = std::equal_range(calibration_.begin(), calibration_.end(), d.score);
    const auto below = static_cast<float>(lo - calibration_.begin());
    const auto equal = static_cast<float>(hi - lo);
    d.score = (below + 0.5f * equal) / n;
  }
}

core::Tracks Tracker::update(const core::Detections& raw_detections, core::Timestamp ts) {
  scale_scores(raw_detections);
  const core::Detections& detections = scaled_;
  if (!first_update_ && ts.pts_s < last_pts_s_ - 1e-9) reset();  // time went backwards: start over
  // Elapsed time in nominal frame periods; the first call counts as one period.
  const double dt = first_update_ ? 1.0 : (ts.pts_s - last_pts_s_) * options_.frame_rate;
  last_pts_s_ = ts.pts_s;
  call_ = call_ < 0 ? 0 : call_ + 1;
  const std::int64_t call = call_;
  const double pts = ts.pts_s;
  const int lost_buffer_frames =
      std::max(1, static_cast<int>(std::lround(options_.lost_buffer_s * options_.frame_rate)));
  // A young track never stays longer than an established one.
  const int young_buffer_frames =
      std::min(lost_buffer_frames,
               std::max(1, static_cast<int>(std::lround(options_.young_lost_buffer_s * options_.frame_rate))));

  // ---- 1. Predict every live track by the time since the last call ---------------------------
  for (auto& t : items_) {
    if (t.state == TrackState::lost) {
      const double decay = std::pow(options_.velocity_damping, dt);
      t.kf.mean[4] *= decay;
      t.kf.mean[5] *= decay;
      t.kf.mean[6] = 0;
      t.kf.mean[7] = 0;
    }
    kf_.predict(t.kf, dt);
  }
  std::vector<core::BoxXyxy> pred(items_.size());
  for (size_t i = 0; i < items_.size(); ++i) pred[i] = KalmanBoxFilter::box(items_[i].kf);

  std::vector<int> high, low;
  for (int j = 0; j < static_cast<int>(detections.size()); ++j) {
    const float s = detections[static_cast<size_t>(j)].score;
    if (s >= options_.high_score)
      high.push_back(j);
    else if (s >= options_.low_score)
      low.push_back(j);
  }
  std::vector<int> pool, tentative;
  for (int i = 0; i < static_cast<int>(items_.size()); ++i)
    (items_[static_cast<size_t>(i)].state == TrackState::tentative ? tentative : pool).push_back(i);

  // Time unseen, in nominal frame periods.
  auto unseen_frames = [&](int i) {
    return (pts - items_[static_cast<size_t>(i)].last_obs_pts_s) * options_.frame_rate;
  };
  auto det = [&](int j) -> const Detection& { return detections[static_cast<size_t>(j)]; };

  // ---- 2. First association: high detections vs confirmed + lost tracks --------------------
  auto m1 = associate(pool, high, options_.match_max_cost, [&](int i, int j) {
    const double grow = std::min(options_.lost_expand_max, options_.lost_expand_per_frame * (unseen_frames(i) - 1));
    const core::BoxXyxy tb = grow > 1e-9 ? expand(pred[static_cast<size_t>(i)], grow) : pred[static_cast<size_t>(i)];
    const core::BoxXyxy db = grow > 1e-9 ? expand(det(j).box_px, grow) : det(j).box_px;
    const double o = similarity(tb, db);
    return 1.0 - (options_.fuse_score ? o * det(j).score : o);
  });
  for (auto [i, j] : m1.pairs) apply_match(items_[static_cast<size_t>(i)], det(j), call, pts);

  // ---- 3. Second association: low detections vs tracks matched in the previous call ----------
  std::vector<int> recent, stale;
  for (int i : m1.unmatched_tracks)
    (items_[static_cast<size_t>(i)].last_obs_call == call - 1 ? recent : stale).push_back(i);
  auto m2 = associate(recent, low, options_.low_match_max_cost,
                      [&](int i, int j) { return 1.0 - core::iou(pred[static_cast<size_t>(i)], det(j).box_px); });
  for (auto [i, j] : m2.pairs) apply_match(items_[static_cast<size_t>(i)], det(j), call, pts);

  // ---- 4. OCR: leftover high detections vs the last observed box of unmatched tracks --------
  std::vector<int> leftover_tracks = stale;
  leftover_tracks.insert(leftover_tracks.end(), m2.unmatched_tracks.begin(), m2.unmatched_tracks.end());
  auto m3 = associate(leftover_tracks, m1.unmatched_dets, options_.recovery_max_cost, [&](int i, int j) {
    return 1.0 - core::iou(items_[static_cast<size_t>(i)].last_obs, det(j).box_px);
  });
  for (auto [i, j] : m3.pairs) apply_match(items_[static_cast<size_t>(i)], det(j), call, pts);

  // ---- 5. Tentative tracks vs what is left ----------------------------------------------------
  auto m4 = associate(tentative, m3.unmatched_dets, options_.tentative_max_cost, [&](int i, int j) {
    const double grow = std::min(options_.lost_expand_max, options_.tentative_expand_per_s *
                                                               (pts - items_[static_cast<size_t>(i)].last_obs_pts_s));
    const core::BoxXyxy tb = grow > 1e-9 ? expand(pred[static_cast<size_t>(i)], grow) : pred[static_cast<size_t>(i)];
    const core::BoxXyxy db = grow > 1e-9 ? expand(det(j).box_px, grow) : det(j).box_px;
    const double o = similarity(tb, db);
    return 1.0 - (options_.fuse_score ? o * det(j).score : o);
  });
  for (auto [i, j] : m4.pairs) apply_match(items_[static_cast<size_t>(i)], det(j), call, pts);

  // ---- 6. Lifecycle: lose, remove (by time unseen), start ------------------------------------
  for (int i : m3.unmatched_tracks) items_[static_cast<size_t>(i)].state = TrackState::lost;
  for (int i : m4.unmatched_tracks) items_[static_cast<size_t>(i)].state = TrackState::removed;
  for (int i = 0; i < static_cast<int>(items_.size()); ++i) {
    auto& t = items_[static_cast<size_t>(i)];
    const double buf = t.hits < options_.established_hits ? young_buffer_frames : lost_buffer_frames;
    if (t.state == TrackState::lost && unseen_frames(i) > buf + 1e-6) t.state = TrackState::removed;
  }
  std::erase_if(items_, [](const Item& t) { return t.state == TrackState::removed; });

  for (int j : m4.unmatched_dets) {
    if (det(j).score < options_.new_track_score) continue;
    Item t;
    t.kf = kf_.initiate(det(j).box_px);
    t.last_obs_call = call;
    t.last_obs_pts_s = pts;
    t.kf_at_last_obs = t.kf;
    t.last_obs = det(j).box_px;
    t.score = det(j).score;
    t.hits = 1;
    t.streak = 1;
    t.first_obs_pts_s = pts;
    t.best_score = det(j).score;
    t.class_votes.emplace_back(det(j).class_id, det(j).score);
    if (first_update_ || options_.min_hits <= 1) {
      t.state = TrackState::confirmed;
      t.id = next_id_++;
    }
    items_.push_back(std::move(t));
  }
  first_update_ = false;

  core::Tracks out;
  out.reserve(items_.size());
  for (const auto& t : items_) out.push_back(report(t, call, pts));
  return out;
}

core::Track Tracker::report(const Item& t, std::int64_t call, double pts_s) const {
  core::Track r;
  r.id = t.id;
  r.box_px = KalmanBoxFilter::box(t.kf);
  r.score = t.score;
  r.state = t.state;
  r.hits = t.hits;
  r.frames_since_update = static_cast<int>(call - t.last_obs_call);
  r.seconds_since_update = pts_s - t.last_obs_pts_s;
  r.vx_px_s = t.kf.mean[4] * options_.frame_rate;
  r.vy_px_s = t.kf.mean[5] * options_.frame_rate;
  float best = -1;
  for (auto [cls, w] : t.class_votes)
    if (w > best) {
      best = w;
      r.class_id = cls;
    }
  return r;
}

}  // namespace vsp::track
