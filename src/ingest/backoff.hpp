#pragma once
/// Reconnect delays: exponential with full jitter, as a pure function of the attempt number.
#include <algorithm>
#include <cmath>

namespace vsp::ingest {

struct BackoffOptions {
  double initial_s = 0.5;
  double max_s = 30;
  double factor = 2;
  double jitter = 0.3;  ///< the delay is spread over [1 - jitter, 1 + jitter] x nominal
};

/// Delay before reconnect attempt `attempt` (1 = first retry). `uniform01` is a random draw in
/// [0, 1): jitter keeps many cameras behind one router from reconnecting in lockstep.
inline double backoff_delay_s(int attempt, const BackoffOptions& o, double uniform01) {
  const double nominal = std::min(o.max_s, o.initial_s * std::pow(o.factor, std::max(0, attempt - 1)));
  return std::max(0.0, nominal * (1 - o.jitter + 2 * o.jitter * uniform01));
}

}  // namespace vsp::ingest
