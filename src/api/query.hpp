#pragma once
/// The HTTP layer shared by the node's and the center's API (header-only, so the center and the
/// fuzz target use it without the node's pipeline): path splitting and route patterns, and typed,
/// validated access to query parameters. Nothing here trusts its input; fuzzed by fuzz_api_query.
#include <civetweb.h>
#include <fmt/format.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "events/event.hpp"

namespace vsp::api {

/// An error answer: HTTP status and the `{code, message, path}` body.
struct HttpError {
  int status;
  std::string code, message, path;
};

/// "/a/b/" -> {"a", "b", ""}; "/" -> {""}.
inline std::vector<std::string> split_path(const std::string& uri) {
  std::vector<std::string> out;
  size_t i = 1;
  while (i <= uri.size()) {
    const size_t j = uri.find('/', i);
    out.push_back(uri.substr(i, j == std::string::npos ? std::string::npos : j - i));
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return out;
}

/// Whether `segs` (split_path of a request) fit `pattern`: segments literal, `*` one non-empty segment.
inline bool route_matches(const std::string& pattern, const std::vector<std::string>& segs) {
  const auto ps = split_path(pattern);
  if (ps.size() != segs.size()) return false;
  for (size_t i = 0; i < ps.size(); ++i)
    if (ps[i] == "*" ? segs[i].empty() : ps[i] != segs[i]) return false;
  return true;
}

/// Query parameters with typed, validated access; the first error wins.
class Query {
 public:
  explicit Query(std::string query_string) : qs_(std::move(query_string)) {}
  explicit Query(const mg_request_info* ri) : qs_(ri->query_string ? ri->query_string : "") {}
  /// The URL-decoded value (at most 4 KiB); nullopt when absent or too long.
  std::optional<std::string> str(const char* name) const {
    std::string buf(4096, '\0');
    const int n = mg_get_var(qs_.c_str(), qs_.size(), name, buf.data(), buf.size());
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<size_t>(n));
    return buf;
  }
  /// A parameter that is absent or empty counts as not given.
  std::optional<std::string> opt(const char* name) const {
    auto v = str(name);
    if (v && v->empty()) v.reset();
    return v;
  }
  std::optional<std::int64_t> time(const char* name, std::optional<HttpError>& err) const {
    auto s = opt(name);
    if (!s) return std::nullopt;
    auto t = events::parse_rfc3339_ms(*s);
    if (!t && !err)
      err = HttpError{400, "bad_time",
                      fmt::format("{}: expected an RFC 3339 UTC time like 2026-01-31T12:00:00Z, got '{}'", name, *s),
                      name};
    return t;
  }
  std::optional<int> integer(const char* name, int lo, int hi, std::optional<HttpError>& err) const {
    auto s = opt(name);
    if (!s) return std::nullopt;
    try {
      size_t used = 0;
      const int v = std::stoi(*s, &used);
      if (used == s->size() && v >= lo && v <= hi) return v;
    } catch (const std::exception&) {
    }
    if (!err)
      err = HttpError{400, "bad_parameter",
                      fmt::format("{}: expected an integer in {}..{}, got '{}'", name, lo, hi, *s), name};
    return std::nullopt;
  }
  /// Rejects parameters this endpoint does not know (a typo must not silently widen a search).
  void only(std::initializer_list<const char*> known, std::optional<HttpError>& err) const {
    size_t pos = 0;
    while (!err && pos < qs_.size()) {
      const auto amp = qs_.find('&', pos);
      const std::string part = qs_.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      const std::string key = part.substr(0, part.find('='));
      bool ok = key.empty();
      for (const char* k : known) ok = ok || key == k;
      if (!ok) {
        std::string names;
        for (const char* k : known) names += (names.empty() ? "" : ", ") + std::string(k);
        err = HttpError{400, "unknown_parameter",
                        fmt::format("unknown parameter '{}' (expected one of: {})", key, names), key};
      }
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
  }

 private:
  std::string qs_;
};

/// since <= until, when both are given; the first error wins.
inline void check_order(std::optional<std::int64_t> since, std::optional<std::int64_t> until,
                        std::optional<HttpError>& err) {
  if (!err && since && until && *since > *until) err = HttpError{400, "bad_range", "since is after until", "since"};
}

}  // namespace vsp::api
