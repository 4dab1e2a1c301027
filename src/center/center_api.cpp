#include "center/center_api.hpp"

#include <civetweb.h>
#include <fmt/format.h>
#include <nats/nats.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "api/web_assets.hpp"
#include "core/clock.hpp"
#include "events/event.hpp"
#include "events/subjects.hpp"

namespace vsp::center {

using nlohmann::json;

namespace {

struct HttpError {
  int status;
  std::string code, message, path;
};

void send(mg_connection* c, int status, const std::string& type, const std::string& body) {
  const char* reason = status == 200   ? "OK"
                       : status == 400 ? "Bad Request"
                       : status == 404 ? "Not Found"
                       : status == 405 ? "Method Not Allowed"
                       : status == 503 ? "Service Unavailable"
                                       : "Error";
  mg_printf(c, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n\r\n", status,
            reason, type.c_str(), body.size());
  mg_write(c, body.data(), body.size());
}

void send_json(mg_connection* c, int status, const json& j) { send(c, status, "application/json", j.dump() + "\n"); }

int send_error(mg_connection* c, const HttpError& e) {
  send_json(c, e.status, {{"code", e.code}, {"message", e.message}, {"path", e.path}});
  return e.status;
}

/// A store failure as an HTTP error: the database away is 503, anything else is the client's.
HttpError store_error(const core::Error& e) {
  if (e.code == "pg_unavailable" || e.code == "pg_rejected" || e.code == "pg_error")
    return {503, "database_unavailable", e.message, ""};
  return {400, e.code, e.message, e.path};
}

/// Query parameters with typed, validated access; the first error wins.
class Query {
 public:
  explicit Query(const mg_request_info* ri) : qs_(ri->query_string ? ri->query_string : "") {}
  std::optional<std::string> str(const char* name) const {
    std::string buf(4096, '\0');
    const int n = mg_get_var(qs_.c_str(), qs_.size(), name, buf.data(), buf.size());
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<size_t>(n));
    return buf;
  }
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

std::string uplink_subject(const std::string& site, const std::string& node) {
  return events::evidence_subject(site, node);
}

int handler(mg_connection* conn, void* cbdata) { return static_cast<CenterApi*>(cbdata)->handle(conn); }

}  // namespace

core::Result<std::unique_ptr<CenterApi>> CenterApi::start(const std::string& listen, PgStore& store,
                                                          const Consumer* consumer, const AlertDispatcher* alerts) {
  std::unique_ptr<CenterApi> s(new CenterApi(store, consumer, alerts));
  mg_init_library(0);
  const char* options[] = {
      "listening_ports", listen.c_str(), "num_threads", "16", "enable_keep_alive", "yes", "tcp_nodelay", "1", nullptr};
  mg_callbacks cb{};
  cb.log_message = [](const mg_connection*, const char*) { return 1; };
  s->ctx_ = mg_start(&cb, nullptr, options);
  if (!s->ctx_)
    return core::make_error("listen_failed", fmt::format("api.listen: cannot listen on {} (port in use?)", listen),
                            "api.listen");
  mg_set_request_handler(s->ctx_, "/", handler, s.get());
  return s;
}

struct CenterApi::Nats {
  natsConnection* nc = nullptr;
  ~Nats() {
    if (nc) natsConnection_Destroy(nc);
  }
};

CenterApi::CenterApi(PgStore& store, const Consumer* consumer, const AlertDispatcher* alerts)
    : store_(store), consumer_(consumer), alerts_(alerts) {}

CenterApi::~CenterApi() { stop(); }

int CenterApi::relay_evidence(mg_connection* conn, const std::string& site, const std::string& node,
                              const std::string& open_request) {
  natsConnection* nc = nullptr;
  {
    std::lock_guard lock(nats_m_);
    if (!nats_) {
      natsOptions* o = nullptr;
      natsOptions_Create(&o);
      std::vector<const char*> urls;
      for (const auto& s : nats_servers_) urls.push_back(s.c_str());
      natsOptions_SetServers(o, urls.data(), static_cast<int>(urls.size()));
      natsOptions_SetMaxReconnect(o, -1);
      natsOptions_SetTimeout(o, 2000);
      auto n = std::make_unique<Nats>();
      const natsStatus s = natsConnection_Connect(&n->nc, o);
      natsOptions_Destroy(o);
      if (s != NATS_OK)
        return send_error(conn,
                          {503, "nats_unavailable", fmt::format("cannot reach NATS: {}", natsStatus_GetText(s)), ""});
      nats_ = std::move(n);
    }
    nc = nats_->nc;
  }
  const std::string subject = uplink_subject(site, node);
  auto request = [&](const std::string& body, std::int64_t timeout_ms, std::string& out) -> natsStatus {
    natsMsg* reply = nullptr;
    const natsStatus s =
        natsConnection_Request(&reply, nc, subject.c_str(), body.data(), static_cast<int>(body.size()), timeout_ms);
    if (s == NATS_OK) out.assign(natsMsg_GetData(reply), static_cast<size_t>(natsMsg_GetDataLength(reply)));
    natsMsg_Destroy(reply);
    return s;
  };
  auto node_error = [&](natsStatus s) {
    if (s == NATS_NO_RESPONDERS)
      return send_error(conn, {503, "node_unreachable",
                               fmt::format("node '{}' at site '{}' is not connected to NATS", node, site), "node"});
    return send_error(
        conn, {504, "node_timeout", fmt::format("node '{}' did not answer: {}", node, natsStatus_GetText(s)), "node"});
  };
  // ---- Open: the node prepares the file (a clip is remuxed first, hence the long wait) ----------
  std::string answer;
  if (const natsStatus s = request(open_request, 60'000, answer); s != NATS_OK) return node_error(s);
  const json opened = json::parse(answer, nullptr, false);
  if (!opened.is_object() || !opened.value("ok", false)) {
    const std::string code = opened.is_object() ? opened.value("code", "node_error") : "node_error";
    const int status = code == "no_recording" || code == "unknown_event" || code == "no_snapshot" ||
                               code == "unknown_camera" || code == "not_found"
                           ? 404
                           : 400;
    return send_error(conn, {status, code, opened.is_object() ? opened.value("message", "") : answer,
                             code == "unknown_camera" ? "camera" : ""});
  }
  const auto size = opened.value("size", std::int64_t{0});
  const std::string file = opened.value("file", "");
  mg_printf(conn, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %lld\r\nCache-Control: no-store\r\n\r\n",
            opened.value("content_type", "application/octet-stream").c_str(), static_cast<long long>(size));
  // ---- Read: chunk by chunk, each a request the node answers with raw bytes ----------------------
  constexpr std::int64_t kChunk = 512 * 1024;
  for (std::int64_t off = 0; off < size && !stopping_;) {
    std::string bytes;
    const json rq = {{"op", "read"}, {"file", file}, {"offset", off}, {"length", std::min(kChunk, size - off)}};
    if (request(rq.dump(), 10'000, bytes) != NATS_OK || bytes.empty()) break;  // the client sees a short body
    if (mg_write(conn, bytes.data(), bytes.size()) <= 0) break;
    off += static_cast<std::int64_t>(bytes.size());
  }
  return 200;
}

void CenterApi::stop() {
  if (stopping_.exchange(true)) return;
  if (ctx_) mg_stop(ctx_);
  ctx_ = nullptr;
}

std::string CenterApi::metrics_text() {
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, auto value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
  };
  if (consumer_) {
    const auto st = consumer_->status();
    metric("vsp_center_nats_connected", "gauge", "1 when bound to the JetStream consumer", st.connected ? 1 : 0);
    metric("vsp_center_messages_received_total", "counter", "messages fetched (redeliveries included)",
           st.received_total);
    metric("vsp_center_events_inserted_total", "counter", "new events stored", st.inserted_total);
    metric("vsp_center_messages_rejected_total", "counter", "malformed messages terminated", st.rejected_total);
    metric("vsp_center_heartbeats_total", "counter", "node heartbeats recorded", st.heartbeats_total);
    metric("vsp_center_batches_failed_total", "counter", "PostgreSQL batch failures (retried)",
           st.batches_failed_total);
  }
  if (alerts_) {
    const auto st = alerts_->status();
    metric("vsp_center_alerts_delivered_total", "counter", "alert deliveries acknowledged (webhook 2xx, NATS flushed)",
           st.delivered_total);
    metric("vsp_center_alert_attempts_failed_total", "counter", "alert delivery attempts that failed (retried)",
           st.failed_attempts_total);
  }
  return out;
}

int CenterApi::handle(mg_connection* conn) {
  const mg_request_info* ri = mg_get_request_info(conn);
  const std::string uri = ri->local_uri ? ri->local_uri : "/";
  const std::string method = ri->request_method ? ri->request_method : "";
  if (method != "GET" && method != "HEAD")
    return send_error(
        conn, {405, "method_not_allowed", fmt::format("{} is not allowed; this API is read-only", method), uri});
  const Query q(ri);
  std::optional<HttpError> err;

  if (uri == "/healthz") {
    send_json(conn, 200, {{"status", "ok"}});
    return 200;
  }
  if (uri == "/" || uri.rfind("/assets/", 0) == 0) {  // the web UI (the same bundle as the node's)
    const auto asset = api::find_web_asset(uri == "/" ? "/index.html" : uri);
    if (!asset) return send_error(conn, {404, "not_found", fmt::format("no such file: {}", uri), uri});
    send(conn, 200, std::string(asset->content_type), std::string(asset->body));
    return 200;
  }
  if (uri == "/api/me") {  // the center has no accounts yet: everyone reads everything (docs/center.md)
    send_json(conn, 200, {{"name", "-"}, {"role", "admin"}, {"auth", "open"}, {"kind", "center"}});
    return 200;
  }
  if (uri == "/metrics") {
    send(conn, 200, "text/plain; version=0.0.4", metrics_text());
    return 200;
  }
  // Unknown site/node is a 404 naming it, not an empty page.
  auto check_known = [&](const std::optional<std::string>& site, const std::optional<std::string>& node) {
    if (err || (!site && !node)) return;
    if (node && !site) {
      err = HttpError{400, "missing_parameter", "node needs site (node names are unique per site)", "site"};
      return;
    }
    auto k = store_.known(*site, node);
    if (!k)
      err = store_error(k.error());
    else if (!*k)
      err = node ? HttpError{404, "unknown_node", fmt::format("no node '{}' at site '{}'", *node, *site), "node"}
                 : HttpError{404, "unknown_site", fmt::format("no site named '{}'", *site), "site"};
  };
  auto check_order = [&](std::optional<std::int64_t> since, std::optional<std::int64_t> until) {
    if (!err && since && until && *since > *until) err = HttpError{400, "bad_range", "since is after until", "since"};
  };

  if (uri == "/api/events") {
    q.only({"site", "node", "camera", "type", "rule", "class", "plate", "plate_match", "since", "until", "limit",
            "cursor"},
           err);
    SearchQuery sq;
    sq.site = q.opt("site");
    sq.node = q.opt("node");
    sq.camera = q.opt("camera");
    sq.type = q.opt("type");
    sq.rule = q.opt("rule");
    sq.class_name = q.opt("class");
    sq.plate = q.opt("plate");
    const std::string match = q.str("plate_match").value_or("exact");
    if (match == "exact")
      sq.plate_match = PlateMatch::exact;
    else if (match == "prefix")
      sq.plate_match = PlateMatch::prefix;
    else if (match == "fuzzy")
      sq.plate_match = PlateMatch::fuzzy;
    else if (!err)
      err = HttpError{400, "bad_parameter",
                      fmt::format("plate_match: expected exact, prefix or fuzzy, got '{}'", match), "plate_match"};
    sq.since_ms = q.time("since", err);
    sq.until_ms = q.time("until", err);
    sq.limit = q.integer("limit", 1, 1000, err).value_or(100);
    sq.cursor = q.opt("cursor");
    check_order(sq.since_ms, sq.until_ms);
    check_known(sq.site, sq.node);
    if (err) return send_error(conn, *err);
    auto page = store_.search(sq);
    if (!page) return send_error(conn, store_error(page.error()));
    json evs = json::array();
    for (const auto& e : page->events_json) evs.push_back(json::parse(e));
    json body = {{"events", evs}};
    if (page->next_cursor) body["next_cursor"] = *page->next_cursor;
    send_json(conn, 200, body);
    return 200;
  }
  if (uri == "/api/counts") {
    q.only({"site", "node", "camera", "rule", "since", "until", "bucket"}, err);
    CountsQuery cq;
    cq.site = q.opt("site");
    cq.node = q.opt("node");
    cq.camera = q.opt("camera");
    cq.rule = q.opt("rule");
    cq.bucket = q.str("bucket").value_or("1m");
    if (!err && cq.bucket != "1m" && cq.bucket != "15m" && cq.bucket != "1h" && cq.bucket != "1d")
      err = HttpError{400, "bad_parameter", fmt::format("bucket: expected 1m, 15m, 1h or 1d, got '{}'", cq.bucket),
                      "bucket"};
    cq.until_ms = q.time("until", err).value_or(core::wall_clock_ms() + 60'000);
    cq.since_ms = q.time("since", err).value_or(cq.until_ms - 24 * 3'600'000LL);
    check_order(cq.since_ms, cq.until_ms);
    check_known(cq.site, cq.node);
    if (err) return send_error(conn, *err);
    auto rows = store_.counts(cq);
    if (!rows) return send_error(conn, store_error(rows.error()));
    // One series per (site, node, camera, rule); each point holds its keys (in/out, enter/exit...).
    std::map<std::tuple<std::string, std::string, std::string, std::string>, std::map<std::int64_t, json>> series;
    for (const auto& r : *rows) {
      auto& point = series[{r.site, r.node, r.camera, r.rule}][r.bucket_start_ms];
      if (point.is_null()) point = {{"t", events::format_rfc3339_ms(r.bucket_start_ms)}};
      point[r.key] = r.n;
    }
    json out = json::array();
    for (auto& [k, points] : series) {
      json arr = json::array();
      for (auto& [t, p] : points) arr.push_back(p);
      out.push_back({{"site", std::get<0>(k)},
                     {"node", std::get<1>(k)},
                     {"camera", std::get<2>(k)},
                     {"rule", std::get<3>(k)},
                     {"points", arr}});
    }
    send_json(conn, 200, {{"bucket", cq.bucket}, {"series", out}});
    return 200;
  }
  if (uri == "/api/clip") {
    q.only({"site", "node", "camera", "start", "end"}, err);
    const auto site = q.opt("site"), node = q.opt("node"), camera = q.opt("camera");
    for (const auto& [v, name] : {std::pair{site, "site"}, std::pair{node, "node"}, std::pair{camera, "camera"}})
      if (!err && !v) err = HttpError{400, "missing_parameter", fmt::format("{} is required", name), name};
    const auto start = q.time("start", err), end = q.time("end", err);
    if (!err && (!start || !end))
      err = HttpError{400, "missing_parameter", "start and end are required", start ? "end" : "start"};
    if (!err && *start >= *end) err = HttpError{400, "bad_range", "start must be before end", "start"};
    if (!err && *end - *start > 3'600'000)
      err = HttpError{400, "bad_range", "a clip may be at most 1 hour long", "end"};
    check_known(site, node);
    if (err) return send_error(conn, *err);
    const json rq = {{"op", "open"}, {"kind", "clip"}, {"camera", *camera}, {"start_ms", *start}, {"end_ms", *end}};
    return relay_evidence(conn, *site, *node, rq.dump());
  }
  const std::string ev_prefix = "/api/events/", snap_suffix = "/snapshot.jpg";
  if (uri.rfind(ev_prefix, 0) == 0 && uri.size() > ev_prefix.size() + snap_suffix.size() &&
      uri.compare(uri.size() - snap_suffix.size(), snap_suffix.size(), snap_suffix) == 0) {
    const std::string id = uri.substr(ev_prefix.size(), uri.size() - ev_prefix.size() - snap_suffix.size());
    auto origin = store_.event_origin(id);
    if (!origin) return send_error(conn, store_error(origin.error()));
    if (!*origin) return send_error(conn, {404, "unknown_event", fmt::format("no event {}", id), "id"});
    const json rq = {{"op", "open"}, {"kind", "snapshot"}, {"event_id", id}};
    return relay_evidence(conn, (*origin)->first, (*origin)->second, rq.dump());
  }
  if (uri == "/api/nodes") {
    auto rows = store_.nodes();
    if (!rows) return send_error(conn, store_error(rows.error()));
    const std::int64_t now = core::wall_clock_ms();
    json out = json::array();
    for (const auto& r : *rows) {
      json hb = json::parse(r.heartbeat_json, nullptr, false);
      out.push_back({{"site", r.site},
                     {"node", r.node},
                     {"last_heartbeat", events::format_rfc3339_ms(r.last_heartbeat_ms)},
                     {"seconds_since_heartbeat", std::round(static_cast<double>(now - r.received_ms) / 100.0) / 10.0},
                     {"cameras", hb.is_object() ? hb.value("cameras", json::array()) : json::array()},
                     {"outbox_pending", hb.is_object() ? hb.value("outbox_pending", 0) : 0},
                     {"outbox_dropped_total", hb.is_object() ? hb.value("outbox_dropped_total", 0) : 0},
                     {"lag_s", hb.is_object() ? hb.value("lag_s", 0.0) : 0.0}});
    }
    send_json(conn, 200, {{"nodes", out}});
    return 200;
  }
  return send_error(conn, {404, "not_found", fmt::format("no such endpoint: {}", uri), uri});
}

}  // namespace vsp::center
