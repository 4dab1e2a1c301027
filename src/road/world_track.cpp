#include "road/world_track.hpp"

#include <algorithm>
#include <cmath>

namespace vsp::road {

void WorldTrack::add(const WorldSample& s) {
  if (!samples_.empty() && s.t_s <= samples_.back().t_s) samples_.clear();  // time went back: start over
  samples_.push_back(s);
  while (samples_.size() > 2 && samples_.front().t_s < s.t_s - window_s_ - 1e-9) samples_.pop_front();
}

std::optional<SpeedEstimate> WorldTrack::estimate() const {
  const int n = static_cast<int>(samples_.size());
  if (n < 3) return std::nullopt;
  const double span = samples_.back().t_s - samples_.front().t_s;
  if (span < window_s_ / 3) return std::nullopt;
  // ---- Least squares x(t) = x̄ + vx (t - t̄), the same for y --------------------------------------
  double tm = 0, xm = 0, ym = 0, noise2 = 0;
  for (const auto& s : samples_) {
    tm += s.t_s;
    xm += s.pos_m.x;
    ym += s.pos_m.y;
    noise2 += s.sigma_m * s.sigma_m;
  }
  tm /= n;
  xm /= n;
  ym /= n;
  noise2 /= n;
  double stt = 0, stx = 0, sty = 0;
  for (const auto& s : samples_) {
    const double dt = s.t_s - tm;
    stt += dt * dt;
    stx += dt * (s.pos_m.x - xm);
    sty += dt * (s.pos_m.y - ym);
  }
  if (stt <= 0) return std::nullopt;
  const double vx = stx / stt, vy = sty / stt;
  // ---- Uncertainty: residual scatter, never below the expected measurement noise -------------
  double rss = 0;
  for (const auto& s : samples_) {
    const double dt = s.t_s - tm;
    const double rx = s.pos_m.x - (xm + vx * dt), ry = s.pos_m.y - (ym + vy * dt);
    rss += rx * rx + ry * ry;
  }
  const double resid2 = n > 2 ? rss / (2.0 * (n - 2)) : 0.0;
  const double sigma_pos = std::sqrt(std::max(resid2, noise2));
  SpeedEstimate e;
  e.velocity_mps = {vx, vy};
  e.speed_mps = std::hypot(vx, vy);
  e.sigma_mps = sigma_pos / std::sqrt(stt);
  const double dt_last = samples_.back().t_s - tm;
  e.position_m = {xm + vx * dt_last, ym + vy * dt_last};
  e.samples = n;
  e.span_s = span;
  return e;
}

}  // namespace vsp::road
