#include "road/signal_head.hpp"

#include <algorithm>
#include <cmath>

#include "core/geometry.hpp"

namespace vsp::road {

LampObservation observe_lamp(const core::Image& frame, const core::Polygon& region, double min_lit_fraction) {
  LampObservation o;
  if (frame.width <= 0 || frame.height <= 0 || region.size() < 3) return o;
  core::Polygon px;
  double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
  for (const auto& p : region) {
    px.push_back({p.x * frame.width, p.y * frame.height});
    x0 = std::min(x0, px.back().x), y0 = std::min(y0, px.back().y);
    x1 = std::max(x1, px.back().x), y1 = std::max(y1, px.back().y);
  }
  const int xa = std::clamp(static_cast<int>(x0), 0, frame.width - 1),
            xb = std::clamp(static_cast<int>(x1), 0, frame.width - 1);
  const int ya = std::clamp(static_cast<int>(y0), 0, frame.height - 1),
            yb = std::clamp(static_cast<int>(y1), 0, frame.height - 1);
  long total = 0, red = 0, amber = 0, green = 0;
  for (int y = ya; y <= yb; ++y)
    for (int x = xa; x <= xb; ++x) {
      if (!core::point_in_polygon({x + 0.5, y + 0.5}, px)) continue;
      ++total;
      const auto* p = &frame.bgr[(static_cast<size_t>(y) * frame.width + x) * 3];
      const int b = p[0], g = p[1], r = p[2];
      const int mx = std::max({r, g, b}), mn = std::min({r, g, b});
      // A glowing lamp: bright and saturated. Glare is bright but nearly white: not a colour.
      if (mx < 150 || mx - mn < 0.4 * mx) continue;
      double h;  // hue in degrees
      const double d = mx - mn;
      if (mx == r)
        h = 60 * std::fmod((g - b) / d + 6, 6.0);
      else if (mx == g)
        h = 60 * ((b - r) / d + 2);
      else
        h = 60 * ((r - g) / d + 4);
      if (h < 18 || h >= 330)
        ++red;
      else if (h < 70)
        ++amber;
      else if (h >= 85 && h < 200)
        ++green;
    }
  if (total == 0) return o;
  o.red = static_cast<double>(red) / total;
  o.amber = static_cast<double>(amber) / total;
  o.green = static_cast<double>(green) / total;
  const double best = std::max({o.red, o.amber, o.green});
  if (best >= min_lit_fraction)
    o.colour = best == o.red ? SignalState::red : (best == o.amber ? SignalState::amber : SignalState::green);
  return o;
}

std::optional<SignalReading> SignalHeadReader::update(const core::Image& frame, std::int64_t ts_ms) {
  return update(observe_lamp(frame, options_.region, options_.min_lit_fraction), ts_ms);
}

std::optional<SignalReading> SignalHeadReader::update(const LampObservation& obs, std::int64_t ts_ms) {
  const auto min_ms = static_cast<std::int64_t>(options_.min_state_s * 1000);
  const auto hold_ms = static_cast<std::int64_t>(options_.hold_s * 1000);
  if (obs.colour == SignalState::unknown) {
    // Dark: a flicker phase or an occlusion. The state holds for hold_s, then is unknown.
    if (state_ != SignalState::unknown && last_lit_ms_ >= 0 && ts_ms - last_lit_ms_ > hold_ms) {
      state_ = candidate_ = SignalState::unknown;
      return SignalReading{state_, last_lit_ms_ + hold_ms};
    }
    return std::nullopt;
  }
  last_lit_ms_ = ts_ms;
  if (obs.colour != candidate_) {
    candidate_ = obs.colour;
    candidate_since_ms_ = ts_ms;
  }
  if (candidate_ != state_ && ts_ms - candidate_since_ms_ >= min_ms) {
    state_ = candidate_;
    return SignalReading{state_, candidate_since_ms_};
  }
  return std::nullopt;
}

}  // namespace vsp::road
