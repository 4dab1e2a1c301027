#include "road/signal_board.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "events/event.hpp"

namespace vsp::road {

const char* to_string(SignalState s) {
  switch (s) {
    case SignalState::green:
      return "green";
    case SignalState::amber:
      return "amber";
    case SignalState::red:
      return "red";
    case SignalState::unknown:
      break;
  }
  return "unknown";
}

std::optional<SignalState> parse_signal_state(const std::string& w) {
  if (w == "red" || w == "closed") return SignalState::red;
  if (w == "amber" || w == "yellow") return SignalState::amber;
  if (w == "green" || w == "open") return SignalState::green;
  if (w == "unknown" || w == "off") return SignalState::unknown;
  return std::nullopt;
}

void SignalBoard::set(const std::string& name, SignalState state, std::int64_t at_ms, const std::string& source) {
  std::lock_guard lk(m_);
  auto& h = history_[name];
  auto it =
      std::upper_bound(h.begin(), h.end(), at_ms, [](std::int64_t t, const SignalChange& c) { return t < c.at_ms; });
  if (it != h.begin() && std::prev(it)->state == state) return;  // no change
  it = h.insert(it, SignalChange{name, state, at_ms, source});
  // A later change to the same state is now redundant.
  if (auto next = std::next(it); next != h.end() && next->state == state) h.erase(next);
  // Drop changes older than the one that covers kKeepMs before the newest.
  const std::int64_t horizon = h.back().at_ms - kKeepMs;
  size_t drop = 0;
  while (drop + 1 < h.size() && h[drop + 1].at_ms <= horizon) ++drop;
  h.erase(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(drop));
}

SignalReading SignalBoard::at(const std::string& name, std::int64_t at_ms) const {
  std::lock_guard lk(m_);
  const auto f = history_.find(name);
  if (f == history_.end()) return {};
  const auto& h = f->second;
  auto it =
      std::upper_bound(h.begin(), h.end(), at_ms, [](std::int64_t t, const SignalChange& c) { return t < c.at_ms; });
  if (it == h.begin()) return {};
  --it;
  return {it->state, it->at_ms};
}

std::vector<SignalChange> SignalBoard::latest() const {
  std::lock_guard lk(m_);
  std::vector<SignalChange> out;
  for (const auto& [name, h] : history_)
    if (!h.empty()) out.push_back(h.back());
  return out;
}

core::Result<SignalUpdate> parse_signal_update(const std::string& body, std::int64_t received_ms,
                                               std::optional<std::int64_t> max_age_ms, std::int64_t max_skew_ms) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("state") || !j["state"].is_string())
    return core::make_error("bad_signal", R"(expected {"state": "red|amber|green|closed|open|unknown", "ts": time})",
                            "body");
  const auto word = j["state"].get<std::string>();
  const auto state = parse_signal_state(word);
  if (!state)
    return core::make_error("bad_state",
                            fmt::format("unknown state '{}' (red, amber, green, closed, open, unknown)",
                                        word.size() > 40 ? word.substr(0, 40) + "..." : word),
                            "state");
  SignalUpdate u{*state, received_ms};
  const char* key = j.contains("ts") ? "ts" : j.contains("at") ? "at" : nullptr;
  if (key) {
    const auto& t = j[key];
    std::optional<std::int64_t> ms;
    if (t.is_string())
      ms = events::parse_rfc3339_ms(t.get<std::string>());
    else if (t.is_number() && std::isfinite(t.get<double>()) && t.get<double>() > 0 && t.get<double>() < 1e11)
      ms = static_cast<std::int64_t>(std::llround(t.get<double>() * 1000));
    if (!ms) return core::make_error("bad_time", fmt::format("{}: expected RFC 3339 UTC or Unix seconds", key), key);
    u.at_ms = *ms;
  }
  if (u.at_ms > received_ms + max_skew_ms)
    return core::make_error("bad_time",
                            fmt::format("{}: {:.1f} s in the future (the controller's clock is off?)", key ? key : "ts",
                                        static_cast<double>(u.at_ms - received_ms) / 1000.0),
                            key ? key : "ts");
  if (max_age_ms && u.at_ms < received_ms - *max_age_ms)
    return core::make_error(
        "stale_signal",
        fmt::format("{}: {:.1f} s old on arrival (limit {:.0f} s)", key ? key : "ts",
                    static_cast<double>(received_ms - u.at_ms) / 1000.0, static_cast<double>(*max_age_ms) / 1000.0),
        key ? key : "ts");
  return u;
}

TimelineResult read_signal_timeline(const std::string& path) {
  TimelineResult r;
  std::ifstream in(path);
  if (!in) {
    r.error = fmt::format("{}: cannot read the signal timeline", path);
    return r;
  }
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t")] == '#') continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("pts_s") || !j["pts_s"].is_number() ||
        !j.contains("signal") || !j["signal"].is_string() || !j.contains("state") || !j["state"].is_string()) {
      r.error = fmt::format("{}:{}: expected {{\"pts_s\": seconds, \"signal\": name, \"state\": red|amber|green|...}}",
                            path, n);
      return r;
    }
    const auto st = parse_signal_state(j["state"].get<std::string>());
    if (!st) {
      r.error = fmt::format("{}:{}: unknown state '{}' (red, amber, green, closed, open, unknown)", path, n,
                            j["state"].get<std::string>());
      return r;
    }
    r.changes.push_back({j["signal"].get<std::string>(), *st,
                         static_cast<std::int64_t>(std::llround(j["pts_s"].get<double>() * 1000)), "timeline"});
  }
  return r;
}

}  // namespace vsp::road
