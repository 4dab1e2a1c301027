#include "center/center_api.hpp"

#include <civetweb.h>
#include <fmt/format.h>
#include <nats/nats.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "api/front.hpp"
#include "api/query.hpp"
#include "api/web_assets.hpp"
#include "auth/secrets.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "events/event.hpp"
#include "events/nats_security.hpp"
#include "events/subjects.hpp"

namespace vsp::center {

using nlohmann::json;

namespace {

using api::HttpError;
using api::Query;

using api::cookie;
using api::send;
using api::send_error;
using api::send_json;

const core::Logger kLog("center.api");

/// A store failure as an HTTP error: the database away is 503, anything else is the client's.
HttpError store_error(const core::Error& e) {
  if (e.code == "pg_unavailable" || e.code == "pg_rejected" || e.code == "pg_error")
    return {503, "database_unavailable", e.message, ""};
  return {400, e.code, e.message, e.path};
}

std::string uplink_subject(const std::string& site, const std::string& node) {
  return events::evidence_subject(site, node);
}

int handler(mg_connection* conn, void* cbdata) { return static_cast<CenterApi*>(cbdata)->handle(conn); }

}  // namespace

const std::vector<Route>& route_table() {
  using A = auth::Access;
  static const std::vector<Route> t = {
      {"GET", "/healthz", A::open},
      {"POST", "/api/login", A::open},
      {"POST", "/api/logout", A::any},
      {"GET", "/api/me", A::any},
      {"GET", "/metrics", A::any},
      {"GET", "/api/events", A::view},
      {"GET", "/api/counts", A::view},
      {"GET", "/api/nodes", A::view},
      {"GET", "/api/events/*/snapshot.jpg", A::view},
      {"GET", "/api/clip", A::operate},
      {"GET", "/api/evidence/*", A::operate},    // a node's evidence pack: its manifest and files
      {"GET", "/api/evidence/*/*", A::operate},  // one file of it
      {"GET", "/api/audit", A::audit},
      {"GET", "/api/nodes/*/*/cameras/*/rules", A::operate},  // the node's own access for its rules
      {"PUT", "/api/nodes/*/*/cameras/*/rules", A::operate},
      {"GET", "/api/nodes/*/*/cameras/*/snapshot.jpg", A::view},  // the rule editor's backdrop
      {"GET", "/api/alerts", A::view},
      {"POST", "/api/alerts/*/ack", A::operate},
      {"GET", "/", A::open},          // the web UI (static files, no data): it asks for a login
      {"GET", "/assets/*", A::open},  // the web UI's scripts and styles
  };
  return t;
}

struct CenterApi::Request {
  mg_connection* conn;
  const mg_request_info* ri;
  std::string uri, method, address;
  std::optional<auth::Principal> who;
};

core::Result<std::unique_ptr<CenterApi>> CenterApi::start(const std::string& listen, PgStore& store,
                                                          const Consumer* consumer, const AlertDispatcher* alerts,
                                                          CenterAuth auth) {
  if (!auth.store) return core::make_error("no_auth", "the center API needs the account store");
  std::unique_ptr<CenterApi> s(new CenterApi(store, consumer, alerts, std::move(auth)));
  mg_init_library(0);
  // request_timeout_ms bounds each read and write: a slow client holds a thread for at most 10 s.
  const char* options[] = {
      "listening_ports", listen.c_str(), "num_threads", "16",   "enable_keep_alive", "yes", "request_timeout_ms",
      "10000",           "tcp_nodelay",  "1",           nullptr};
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

CenterApi::CenterApi(PgStore& store, const Consumer* consumer, const AlertDispatcher* alerts, CenterAuth auth)
    : store_(store), consumer_(consumer), alerts_(alerts), auth_(std::move(auth)), throttle_(auth_.throttle) {}

CenterApi::~CenterApi() { stop(); }

core::Result<CenterApi::Nats*> CenterApi::nats() {
  std::lock_guard lock(nats_m_);
  if (!nats_) {
    natsOptions* o = nullptr;
    natsOptions_Create(&o);
    std::vector<const char*> urls;
    for (const auto& s : nats_servers_) urls.push_back(s.c_str());
    natsOptions_SetServers(o, urls.data(), static_cast<int>(urls.size()));
    natsOptions_SetMaxReconnect(o, -1);
    natsOptions_SetTimeout(o, 2000);
    if (auto st = events::apply_nats_auth(o, nats_auth_, "nats"); !st) {
      natsOptions_Destroy(o);
      return core::make_error("nats_unavailable", st.error().message);
    }
    auto n = std::make_unique<Nats>();
    const natsStatus s = natsConnection_Connect(&n->nc, o);
    natsOptions_Destroy(o);
    if (s != NATS_OK)
      return core::make_error("nats_unavailable", fmt::format("cannot reach NATS: {}", natsStatus_GetText(s)));
    nats_ = std::move(n);
  }
  return nats_.get();
}

int CenterApi::relay_evidence(mg_connection* conn, const std::string& site, const std::string& node,
                              const std::string& open_request, std::string* into) {
  auto connected = nats();
  if (!connected) return send_error(conn, {503, connected.error().code, connected.error().message, ""});
  natsConnection* nc = (*connected)->nc;
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
  constexpr std::int64_t kChunk = 512 * 1024;
  // ---- Open: the node prepares the file (a clip is remuxed first, hence the long wait) ----------
  std::string answer;
  if (const natsStatus s = request(open_request, 60'000, answer); s != NATS_OK) return node_error(s);
  const json opened = json::parse(answer, nullptr, false);
  if (!opened.is_object() || !opened.value("ok", false)) {
    const std::string code = opened.is_object() ? opened.value("code", "node_error") : "node_error";
    const int status = code == "no_recording" || code == "unknown_event" || code == "no_snapshot" ||
                               code == "unknown_camera" || code == "not_found" || code == "unknown_evidence" ||
                               code == "unknown_file"
                           ? 404
                           : 400;
    return send_error(conn, {status, code, opened.is_object() ? opened.value("message", "") : answer,
                             code == "unknown_camera" ? "camera" : ""});
  }
  const auto size = opened.value("size", std::int64_t{0});
  const std::string file = opened.value("file", "");
  if (into) {  // collected for the center's own use (a pack's manifest, at most 16 MiB)
    if (size > 16 * 1024 * 1024) return send_error(conn, {502, "too_large", "the node's file is too large", ""});
    while (static_cast<std::int64_t>(into->size()) < size && !stopping_) {
      const auto off = static_cast<std::int64_t>(into->size());
      std::string bytes;
      const json rq = {{"op", "read"}, {"file", file}, {"offset", off}, {"length", std::min(kChunk, size - off)}};
      if (const natsStatus s = request(rq.dump(), 10'000, bytes); s != NATS_OK) return node_error(s);
      if (bytes.empty()) return send_error(conn, {502, "short_read", "the node's file ended early", ""});
      *into += bytes;
    }
    return 200;
  }
  mg_printf(conn, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %lld\r\nCache-Control: no-store\r\n\r\n",
            opened.value("content_type", "application/octet-stream").c_str(), static_cast<long long>(size));
  // ---- Read: chunk by chunk, each a request the node answers with raw bytes ----------------------
  for (std::int64_t off = 0; off < size && !stopping_;) {
    std::string bytes;
    const json rq = {{"op", "read"}, {"file", file}, {"offset", off}, {"length", std::min(kChunk, size - off)}};
    if (request(rq.dump(), 10'000, bytes) != NATS_OK || bytes.empty()) break;  // the client sees a short body
    if (mg_write(conn, bytes.data(), bytes.size()) <= 0) break;
    off += static_cast<std::int64_t>(bytes.size());
  }
  return 200;
}

int CenterApi::evidence(Request& r, const std::vector<std::string>& segs) {
  const std::string& id = segs[2];
  const std::string target = segs.size() == 4 ? id + "/" + segs[3] : id;
  const char* action = segs.size() == 4 ? "evidence_file" : "evidence";
  auto origin = store_.event_origin(id);
  if (!origin) return send_error(r.conn, store_error(origin.error()));
  if (!*origin) {
    audit(r, action, target, "failed (404)");
    return send_error(r.conn, {404, "unknown_event", fmt::format("no event {}", id), "id"});
  }
  const auto& [site, node] = **origin;
  auto open = [&](const std::string& file) {
    return json{{"op", "open"}, {"kind", "evidence"}, {"event_id", id}, {"file", file}}.dump();
  };
  // ---- One file: streamed from the node as it has it (the manifest's hashes say if it changed) ----
  if (segs.size() == 4) {
    const int status = relay_evidence(r.conn, site, node, open(segs[3]));
    audit(r, action, fmt::format("{}/{} {}", site, node, target),
          status == 200 ? "ok" : fmt::format("failed ({})", status));
    return status;
  }
  // ---- The pack: listed from its signed manifest, with the key the node announces -------------
  std::string text;
  if (const int status = relay_evidence(r.conn, site, node, open("manifest.json"), &text); status != 200) {
    audit(r, action, fmt::format("{}/{} {}", site, node, target), fmt::format("failed ({})", status));
    return status;
  }
  const json m = json::parse(text, nullptr, false);
  if (!m.is_object() || !m.contains("files") || !m["files"].is_array()) {
    audit(r, action, fmt::format("{}/{} {}", site, node, target), "failed (502)");
    return send_error(r.conn, {502, "bad_manifest", "the node's manifest.json is not a pack manifest", ""});
  }
  json node_key = nullptr;
  if (auto rows = store_.nodes())
    for (const auto& row : *rows)
      if (row.site == site && row.node == node) {
        const json hb = json::parse(row.heartbeat_json, nullptr, false);
        if (hb.is_object() && hb.contains("evidence_public_key")) node_key = hb["evidence_public_key"];
      }
  json files = json::array();
  for (const auto& f : m["files"])
    if (f.is_object()) files.push_back({{"path", f.value("path", "")}, {"bytes", f.value("bytes", 0)}});
  files.push_back({{"path", "manifest.json"}, {"bytes", text.size()}});
  audit(r, action, fmt::format("{}/{} {}", site, node, target), "ok");
  send_json(r.conn, 200,
            {{"event_id", id},
             {"site", site},
             {"node", node},
             {"files", files},
             {"manifest_public_key", m.value("public_key", "")},
             {"node_public_key", node_key},
             {"key_matches_node", node_key.is_string() && node_key == m.value("public_key", "")},
             {"manifest", m}});
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
  Request r{conn,
            ri,
            ri->local_uri ? ri->local_uri : "/",
            ri->request_method ? ri->request_method : "",
            ri->remote_addr,
            std::nullopt};
  if (r.method == "HEAD") r.method = "GET";
  int sent = 0;
  const Route* route = api::find_route(conn, r.method, r.uri, route_table(), sent);
  if (!route) return sent;  // 404 / 405
  if ((sent = api::admit(conn, r.method, r.uri, route->access, front(), r.who, audit_fn(r)))) return sent;
  return dispatch(r);
}

void CenterApi::audit(const Request& r, const std::string& action, const std::string& target, const std::string& result,
                      const std::string& reason) {
  if (auto st = auditor_.record(r.who, r.address, action, target, result, reason, core::wall_clock_ms()); !st)
    kLog.error("audit: {}", st.error().message);
}

api::AuditFn CenterApi::audit_fn(const Request& r) {
  return [this, address = r.address](const std::optional<auth::Principal>& who, const std::string& action,
                                     const std::string& target, const std::string& result) {
    if (auto st = auditor_.record(who, address, action, target, result, "", core::wall_clock_ms()); !st)
      kLog.error("audit: {}", st.error().message);
  };
}

api::FrontOptions CenterApi::front() const {
  return {auth_.store, auth_.open_without_users, auth_.session_ttl_ms, false, "vsp-center"};
}

int CenterApi::login(Request& r) { return api::login(r.conn, r.address, throttle_, front(), r.who, audit_fn(r)); }

int CenterApi::audit_page(Request& r) { return api::audit_page(r.conn, *auth_.store, r.who, audit_fn(r)); }

int CenterApi::dispatch(Request& r) {
  mg_connection* conn = r.conn;
  const mg_request_info* ri = r.ri;
  const std::string& uri = r.uri;
  const Query q(ri);
  std::optional<HttpError> err;

  if (uri == "/api/login") return login(r);
  if (uri == "/api/logout") return api::logout(conn, front(), r.who, audit_fn(r));
  if (uri == "/api/me") return api::me(conn, *r.who, "center");
  if (uri == "/api/audit") return audit_page(r);
  if (uri == "/api/alerts") return alerts_page(r);
  if (const auto segs = api::split_path(uri); api::route_matches("/api/alerts/*/ack", segs))
    return ack_alert(r, segs[2]);
  else if (api::route_matches("/api/nodes/*/*/cameras/*/rules", segs) ||
           api::route_matches("/api/nodes/*/*/cameras/*/snapshot.jpg", segs))
    return node_camera(r, segs[2], segs[3], segs[5], segs[6]);

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
    audit(r, "search_events", std::string(ri->query_string ? ri->query_string : ""), "ok");
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
    audit(r, "search_counts", std::string(ri->query_string ? ri->query_string : ""), "ok");
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
    if (err) {  // refused clip requests are audited too: asking is already a look at someone
      audit(r, "clip", std::string(ri->query_string ? ri->query_string : ""), fmt::format("failed ({})", err->status));
      return send_error(conn, *err);
    }
    const json rq = {{"op", "open"}, {"kind", "clip"}, {"camera", *camera}, {"start_ms", *start}, {"end_ms", *end}};
    const int status = relay_evidence(conn, *site, *node, rq.dump());
    audit(r, "clip",
          fmt::format("{}/{}/{} {}..{}", *site, *node, *camera, events::format_rfc3339_ms(*start),
                      events::format_rfc3339_ms(*end)),
          status == 200 ? "ok" : fmt::format("failed ({})", status));
    return status;
  }
  if (const auto segs = api::split_path(uri); segs.size() >= 3 && segs[1] == "evidence") return evidence(r, segs);
  const std::string ev_prefix = "/api/events/", snap_suffix = "/snapshot.jpg";
  if (uri.rfind(ev_prefix, 0) == 0 && uri.size() > ev_prefix.size() + snap_suffix.size() &&
      uri.compare(uri.size() - snap_suffix.size(), snap_suffix.size(), snap_suffix) == 0) {
    const std::string id = uri.substr(ev_prefix.size(), uri.size() - ev_prefix.size() - snap_suffix.size());
    auto origin = store_.event_origin(id);
    if (!origin) return send_error(conn, store_error(origin.error()));
    if (!*origin) {
      audit(r, "snapshot", id, "failed (404)");
      return send_error(conn, {404, "unknown_event", fmt::format("no event {}", id), "id"});
    }
    const json rq = {{"op", "open"}, {"kind", "snapshot"}, {"event_id", id}};
    const int status = relay_evidence(conn, (*origin)->first, (*origin)->second, rq.dump());
    audit(r, "snapshot", id, status == 200 ? "ok" : fmt::format("failed ({})", status));
    return status;
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
      out.back()["evidence_public_key"] = hb.is_object() ? hb.value("evidence_public_key", json()) : json();
    }
    send_json(conn, 200, {{"nodes", out}});
    return 200;
  }
  return send_error(conn, {404, "not_found", fmt::format("no such endpoint: {}", uri), uri});
}

namespace {
/// A path segment as sent (percent-encoded) to the name it stands for.
std::string url_decoded(const std::string& seg) {
  std::string out(seg.size() + 1, '\0');
  const int n = mg_url_decode(seg.c_str(), static_cast<int>(seg.size()), out.data(), static_cast<int>(out.size()), 0);
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

json alert_json(const AlertRow& a) {
  const json payload = json::parse(a.payload_json, nullptr, false);
  json out = {{"id", std::to_string(a.id)},
              {"alert", a.alert},
              {"state", a.acked_ms ? "acknowledged" : "open"},
              {"event_id", a.event_id},
              {"site", a.site},
              {"node", a.node},
              {"camera", a.camera},
              {"type", a.type},
              {"ts_utc", events::format_rfc3339_ms(a.ts_utc_ms)},
              {"fired_at", events::format_rfc3339_ms(a.fired_ms)},
              {"count", a.count},
              {"event", payload.is_object() ? payload.value("event", json::object()) : json::object()}};
  if (a.acked_ms) {
    out["acknowledged_by"] = a.acked_by;
    out["acknowledged_at"] = events::format_rfc3339_ms(a.acked_ms);
  }
  return out;
}
}  // namespace

int CenterApi::node_camera(Request& r, const std::string& site_seg, const std::string& node_seg,
                           const std::string& camera_seg, const std::string& leaf) {
  const std::string site = url_decoded(site_seg), node = url_decoded(node_seg), camera = url_decoded(camera_seg);
  const bool put = r.method == "PUT", snapshot = leaf == "snapshot.jpg";
  json rq = {{"op", put ? "put" : snapshot ? "snapshot" : "get"}, {"camera", camera}, {"by", r.who->name}};
  const std::string where = fmt::format("{}/{}/{}", site, node, camera);
  if (snapshot) {  // overlays=0: the node's picture without boxes, tracks, lines and zones (as its own route)
    const std::string overlays = api::Query(r.ri).opt("overlays").value_or("1");
    if (overlays != "0" && overlays != "1")
      return send_error(r.conn, {400, "bad_parameter", "overlays: expected 0 or 1", "overlays"});
    rq["overlays"] = overlays == "1";
  }
  if (put) {
    const char* ct = mg_get_header(r.conn, "Content-Type");
    if (!ct || std::string(ct).rfind("application/json", 0) != 0)
      return send_error(r.conn, {415, "bad_content_type", "send the rules as application/json", "Content-Type"});
    rq["body"] = api::read_body(r.conn, 65536);  // the node parses and checks it, as its own PUT does
    if (const char* m = mg_get_header(r.conn, "If-Match")) rq["if_match"] = m;
  }
  auto fail = [&](const HttpError& e) {
    if (put || snapshot) audit(r, put ? "push_rules" : "snapshot", where, fmt::format("failed ({})", e.status));
    return send_error(r.conn, e);
  };
  auto k = store_.known(site, node);
  if (!k) return fail(store_error(k.error()));
  if (!*k) return fail({404, "unknown_node", fmt::format("no node '{}' at site '{}'", node, site), "node"});
  auto connected = nats();
  if (!connected) return fail({503, connected.error().code, connected.error().message, ""});
  // ---- Ask the node: it answers with its own route's status and body ---------------------------
  const std::string subject = events::rules_subject(site, node), text = rq.dump();
  natsMsg* reply = nullptr;
  const natsStatus s = natsConnection_Request(&reply, (*connected)->nc, subject.c_str(), text.data(),
                                              static_cast<int>(text.size()), 5000);
  std::string answer;
  if (s == NATS_OK) answer.assign(natsMsg_GetData(reply), static_cast<size_t>(natsMsg_GetDataLength(reply)));
  natsMsg_Destroy(reply);
  if (s == NATS_NO_RESPONDERS || s == NATS_TIMEOUT)
    return fail(
        {504, "node_offline",
         fmt::format("node '{}' at site '{}' did not answer (offline or not connected to NATS; waited at most 5 s){}",
                     node, site, put ? "; its rules were not changed" : ""),
         "node"});
  if (s != NATS_OK) return fail({503, "nats_unavailable", fmt::format("NATS: {}", natsStatus_GetText(s)), ""});
  // A snapshot comes as a JSON line, a newline, then the JPEG.
  const auto eol = answer.find('\n');
  const json got = json::parse(answer.substr(0, eol), nullptr, false);
  if (snapshot && eol != std::string::npos && got.is_object() && got.value("status", 0) == 200) {
    audit(r, "snapshot", where, "ok");
    send(r.conn, 200, "image/jpeg", answer.substr(eol + 1));
    return 200;
  }
  if (!got.is_object() || !got.contains("status") || !got["status"].is_number_integer() || !got.contains("body"))
    return fail(
        {502, "bad_node_answer", fmt::format("node '{}' at site '{}' answered something else", node, site), "node"});
  const int status = got["status"];
  json out = got["body"];
  if (status == 200 && out.is_object()) {
    out["site"] = site;
    out["node"] = node;
  }
  if (snapshot) audit(r, "snapshot", where, fmt::format("failed ({})", status));
  if (put) {
    const std::string code = out.is_object() ? out.value("code", "") : "";
    audit(r, "push_rules", status == 200 ? fmt::format("{} v{}", where, out.value("version", 0)) : where,
          status == 200                ? "ok"
          : code == "invalid_rules"    ? "invalid"
          : code == "version_conflict" ? "conflict"
                                       : fmt::format("failed ({})", status));
  }
  send_json(r.conn, status, out,
            status == 200 && out.contains("version") ? fmt::format("ETag: \"{}\"\r\n", out["version"].dump()) : "");
  return status;
}

int CenterApi::alerts_page(Request& r) {
  const Query q(r.ri);
  std::optional<HttpError> err;
  q.only({"state", "limit", "cursor"}, err);
  AlertsQuery aq;
  const std::string state = q.str("state").value_or("open");
  if (state == "open")
    aq.state = AlertState::open;
  else if (state == "acknowledged")
    aq.state = AlertState::acknowledged;
  else if (state == "all")
    aq.state = AlertState::all;
  else if (!err)
    err = HttpError{400, "bad_parameter", fmt::format("state: expected open, acknowledged or all, got '{}'", state),
                    "state"};
  aq.limit = q.integer("limit", 1, 1000, err).value_or(100);
  if (auto c = q.opt("cursor")) try {
      size_t used = 0;
      aq.before_id = std::stoll(*c, &used);
      if (used != c->size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      if (!err) err = HttpError{400, "bad_cursor", "cursor: not one returned by this API", "cursor"};
    }
  if (err) return send_error(r.conn, *err);
  auto page = store_.alerts(aq);
  if (!page) return send_error(r.conn, store_error(page.error()));
  json list = json::array();
  for (const auto& a : page->alerts) list.push_back(alert_json(a));
  json body = {{"alerts", list}};
  if (page->next_before_id) body["next_cursor"] = std::to_string(*page->next_before_id);
  send_json(r.conn, 200, body);
  return 200;
}

int CenterApi::ack_alert(Request& r, const std::string& id_text) {
  std::int64_t id = 0;
  try {
    size_t used = 0;
    id = std::stoll(id_text, &used);
    if (used != id_text.size() || id <= 0) throw std::invalid_argument("not an id");
  } catch (const std::exception&) {
    audit(r, "ack_alert", id_text, "failed (404)");
    return send_error(r.conn, {404, "unknown_alert", fmt::format("no alert {}", id_text), "id"});
  }
  auto a = store_.acknowledge_alert(id, r.who->name, core::wall_clock_ms());
  if (!a) {
    const auto& e = a.error();
    const int status = e.code == "unknown_alert" ? 404 : e.code == "already_acknowledged" ? 409 : 0;
    const HttpError he = status ? HttpError{status, e.code, e.message, e.path} : store_error(e);
    audit(r, "ack_alert", id_text, fmt::format("failed ({})", he.status));
    return send_error(r.conn, he);
  }
  audit(r, "ack_alert", fmt::format("{} {} {}", id, a->alert, a->event_id), "ok");
  send_json(r.conn, 200, alert_json(*a));
  return 200;
}

}  // namespace vsp::center
