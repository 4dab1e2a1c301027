// libFuzzer: the API's request parsing (node and center, api/query.hpp): path splitting and route
// patterns, URL-decoded query parameters, times, bounded integers and the unknown-parameter check
// must answer or refuse cleanly. Input: "<path>?<query string>".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/query.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const auto q_at = in.find('?');
  const std::string path = "/" + in.substr(0, q_at);
  const std::string qs = q_at == std::string::npos ? "" : in.substr(q_at + 1);
  // ---- Path: the split re-joins to the path; patterns match only segment-for-segment
  const auto segs = vsp::api::split_path(path);
  std::string joined;
  for (const auto& s : segs) joined += "/" + s;
  if (joined != path) std::abort();
  for (const char* p : {"/healthz", "/api/cameras/*", "/api/cameras/*/snapshot.jpg", "/api/events/*/snapshot.jpg"})
    if (vsp::api::route_matches(p, segs) && vsp::api::split_path(p).size() != segs.size()) std::abort();
  // ---- Query: every accessor answers or sets an error, never both wrong
  const vsp::api::Query q(qs);
  std::optional<vsp::api::HttpError> err;
  for (const char* name : {"camera", "since", "until", "limit", "cursor", "plate", "reason", "raw", ""}) {
    if (auto v = q.str(name); v && v->size() >= 4096) std::abort();
    if (auto v = q.opt(name); v && v->empty()) std::abort();
  }
  if (auto n = q.integer("limit", 1, 1000, err); n && (*n < 1 || *n > 1000)) std::abort();
  for (const char* name : {"since", "until", "start"}) {
    std::optional<vsp::api::HttpError> e;
    if (auto t = q.time(name, e)) {  // what parses formats and parses back to the same instant
      const auto again = vsp::events::parse_rfc3339_ms(vsp::events::format_rfc3339_ms(*t));
      if (!again || *again != *t) std::abort();
    }
  }
  std::optional<vsp::api::HttpError> unknown;
  q.only({"camera", "since", "until", "limit", "cursor"}, unknown);
  if (unknown && unknown->status != 400) std::abort();
  return 0;
}
