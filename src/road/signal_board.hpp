#pragma once
/// The state of every signal a node knows (traffic lights, rail-crossing barriers) as a short
/// history of changes in wall-clock milliseconds, so a rule asks "what was it at time t" with the
/// frame's own time, never now(). Writers: the API (`PUT /api/signals/<name>`), an analyze
/// timeline (`--signals`), and the image signal-head readers. Thread-safe.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace vsp::road {

/// Rail crossings use red = closed, green = open.
enum class SignalState { unknown, green, amber, red };
const char* to_string(SignalState s);
/// Accepts red|amber|yellow|green|off|unknown, and closed (= red) | open (= green).
std::optional<SignalState> parse_signal_state(const std::string& word);

/// A signal's state at some time, and since when it has held.
struct SignalReading {
  SignalState state = SignalState::unknown;
  std::int64_t since_ms = 0;  ///< when this state began (0 = unknown)
};

/// One change, as a timeline file or the API gives it.
struct SignalChange {
  std::string name;
  SignalState state = SignalState::unknown;
  std::int64_t at_ms = 0;
  std::string source;  ///< "api", "timeline", "image"
};

class SignalBoard {
 public:
  /// Records `state` from `at_ms` on (a repeat of the current state changes nothing). A change
  /// older than the newest one is inserted in order.
  void set(const std::string& name, SignalState state, std::int64_t at_ms, const std::string& source = "api");
  /// The state at `at_ms` (unknown before the first change).
  SignalReading at(const std::string& name, std::int64_t at_ms) const;
  /// Each signal's newest change.
  std::vector<SignalChange> latest() const;
  /// History kept per signal (older changes are dropped once newer ones cover this span).
  static constexpr std::int64_t kKeepMs = 15 * 60 * 1000;

 private:
  mutable std::mutex m_;
  std::map<std::string, std::vector<SignalChange>> history_;
};

/// A state update as a controller sends it, to `PUT /api/signals/<name>` or on the NATS subject
/// `vsp.signals.<site>.<name>`: `{"state": "red", "ts": "2026-05-04T10:00:00.250Z"}`. The time of
/// the change is `ts` (or `at`, the API's older name): RFC 3339 UTC, or a number of Unix seconds;
/// without one, the time it arrived.
struct SignalUpdate {
  SignalState state = SignalState::unknown;
  std::int64_t at_ms = 0;
};

/// Parses and checks one update body that arrived at `received_ms`. Errors (code, path):
/// bad_signal (not `{"state": word}`), bad_state (an unknown word), bad_time (a malformed `ts`, or
/// one more than `max_skew_ms` in the future), stale_signal (older than `max_age_ms` on arrival,
/// when given: a late message must not rewrite what the rules already decided on).
core::Result<SignalUpdate> parse_signal_update(const std::string& body, std::int64_t received_ms,
                                               std::optional<std::int64_t> max_age_ms = std::nullopt,
                                               std::int64_t max_skew_ms = 5'000);

/// Reads a timeline (JSON lines `{"pts_s": 12.5, "signal": "main", "state": "red"}`) for analyze;
/// times are stream seconds, turned into ms with `epoch_ms`. Errors name the line.
struct TimelineResult {
  std::vector<SignalChange> changes;  ///< at_ms relative to epoch 0 (pts_s * 1000)
  std::string error;                  ///< empty when fine
};
TimelineResult read_signal_timeline(const std::string& path);

}  // namespace vsp::road
