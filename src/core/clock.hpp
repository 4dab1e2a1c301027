#pragma once
/// The wall clock, for the thin threads that stamp what arrives; decision logic takes times as
/// values instead.
#include <chrono>
#include <cstdint>

namespace vsp::core {

/// Milliseconds since the Unix epoch.
inline std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace vsp::core
