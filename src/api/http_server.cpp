#include "api/http_server.hpp"

#include <civetweb.h>
#include <fmt/format.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "api/front.hpp"
#include "api/query.hpp"
#include "api/web_assets.hpp"
#include "auth/secrets.hpp"
#include "config/rules_json.hpp"
#include "core/clock.hpp"
#include "core/coco.hpp"
#include "core/log.hpp"
#include "core/redact.hpp"
#include "crowd/heatmap.hpp"
#include "events/event.hpp"
#include "events/event_json.hpp"
#include "evidence/pack.hpp"
#include "road/signal_board.hpp"

extern "C" int vsp_civetweb_ssl_shim_loaded(void);  // civetweb_ssl_shim.c

namespace vsp::api {

namespace fs = std::filesystem;

using nlohmann::json;

namespace {

constexpr std::int64_t kMaxClipMs = 3'600'000;

const core::Logger kLog("api");

using core::redact_urls;

json camera_json(const pipeline::CameraStatus& c) {
  return {{"name", c.name},
          {"state", c.state},
          {"last_error", redact_urls(c.last_error)},
          {"fps_in", std::round(c.fps_in * 10) / 10},
          {"fps_analysed", std::round(c.fps_analysed * 10) / 10},
          {"width", c.width},
          {"height", c.height},
          {"packets_received", c.packets_in},
          {"packets_recorded", c.packets_recorded},
          {"packets_record_failed", c.packets_record_failed},
          {"record_errors", c.record_errors},
          {"recording", c.recording},
          {"record_error", redact_urls(c.record_error)},
          {"index_errors", c.index_errors},
          {"index_error", c.index_error},
          {"analysis_packets_dropped", c.packets_dropped},
          {"frames_decoded", c.frames_decoded},
          {"frames_analysed", c.frames_analysed},
          {"frames_detected", c.frames_detected},
          {"restarts", c.restarts},
          {"reconnects", c.reconnects},
          {"segments", c.segments},
          {"events", c.events},
          {"snapshot", fmt::format("/api/cameras/{}/snapshot.jpg", c.name)},
          {"live", fmt::format("/api/cameras/{}/live.mjpeg", c.name)}};
}

json optional_json(const std::optional<std::int64_t>& v) { return v ? json(*v) : json(nullptr); }

json optional_days(const std::optional<double>& d) { return d ? json(*d) : json(nullptr); }

/// Each kind's age limit as configured (null = no age limit) and what retention removed by age.
json retention_json(const pipeline::StorageStatus& s, const config::ServeConfig& c) {
  return {{"recordings_max_age_days", optional_days(c.max_age_days)},
          {"events_max_age_days", optional_days(c.events_max_age_days)},
          {"snapshots_max_age_days", optional_days(c.snapshots_max_age_days)},
          {"plate_reads_max_age_days", optional_days(c.plate_reads_max_age_days)},
          {"audit_max_age_days", optional_days(c.audit_max_age_days)},
          {"last_applied", s.retention_applied_ms ? json(events::format_rfc3339_ms(s.retention_applied_ms)) : json()},
          {"deleted",
           {{"segments", s.segments_deleted},
            {"events", s.events_pruned},
            {"snapshots", s.snapshots_pruned},
            {"plate_reads", s.plate_reads_pruned},
            {"audit_records", s.audit_pruned}}}};
}

json storage_json(const pipeline::StorageStatus& s, const config::ServeConfig& c) {
  return {{"path", s.path},
          {"retention", retention_json(s, c)},
          {"state", s.state},
          {"filesystem_bytes", s.fs_size_bytes},
          {"free_bytes", s.fs_free_bytes},
          {"reserve_bytes", s.reserve_bytes},
          {"recordings_bytes", s.recordings_bytes},
          {"configured_quota_bytes", optional_json(s.configured_quota_bytes)},
          {"effective_quota_bytes", optional_json(s.effective_quota_bytes)},
          {"quota_limited_by", !s.effective_quota_bytes        ? "none"
                               : s.quota_limited_by_filesystem ? "filesystem"
                                                               : "config"},
          {"segments_deleted", s.segments_deleted},
          {"segment_delete_failures", s.segment_delete_failures},
          {"events_pruned", s.events_pruned},
          {"snapshots_pruned", s.snapshots_pruned},
          {"last_error", s.last_error},
          {"store",
           {{"ok", s.store.ok},
            {"full", s.store.full},
            {"last_error", s.store.last_error},
            {"events_received", s.store.events_received},
            {"events_stored", s.store.events_stored},
            {"event_write_failures", s.store.event_write_failures},
            {"events_pending", s.store.events_pending},
            {"events_dropped", s.store.events_dropped},
            {"index_write_failures", s.store.index_write_failures},
            {"index_pending", s.store.index_pending}}}};
}

int handler(mg_connection* conn, void* cbdata) { return static_cast<HttpServer*>(cbdata)->handle(conn); }

/// The web UI loads its scripts, styles, images and video from this server only.
const std::string kWebUiHeaders =
    "Content-Security-Policy: default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'\r\n";

/// Loads the PEM certificate chain and key into civetweb's SSL context ourselves, so the two may
/// be separate files (civetweb's `ssl_certificate` wants one file holding both).
int init_ssl(void* ssl_ctx, void* user_data) {
  const auto* o = static_cast<const ServerOptions*>(user_data);
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  if (SSL_CTX_use_certificate_chain_file(ctx, o->tls_cert->c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, o->tls_key->c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1)
    return -1;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  return 1;
}

}  // namespace

const std::vector<RouteInfo>& route_table() {
  using A = auth::Access;
  static const std::vector<RouteInfo> t = {
      {"GET", "/healthz", A::open},
      {"GET", "/", A::open},          // the web UI (static files, no data): it asks for a login
      {"GET", "/assets/*", A::open},  // the web UI's scripts and styles
      {"POST", "/api/login", A::open},
      {"POST", "/api/logout", A::any},
      {"GET", "/api/me", A::any},
      {"GET", "/metrics", A::any},
      {"GET", "/api/cameras", A::view},
      {"GET", "/api/cameras/*", A::view},
      {"GET", "/api/cameras/*/snapshot.jpg", A::view},
      {"GET", "/api/cameras/*/live.mjpeg", A::view},
      {"GET", "/api/cameras/*/heatmap.png", A::view},
      {"GET", "/api/events", A::view},
      {"GET", "/api/counts", A::view},
      {"GET", "/api/node", A::view},
      {"GET", "/api/recordings", A::operate},
      {"GET", "/api/clip", A::operate},
      {"GET", "/api/events/*/snapshot.jpg", A::operate},
      {"GET", "/api/cameras/*/rules", A::operate},
      {"PUT", "/api/cameras/*/rules", A::operate},
      {"GET", "/api/audit", A::audit},
      {"GET", "/api/signals", A::view},
      {"PUT", "/api/signals/*", A::operate},  // a traffic controller's feed (an operator token)
      {"GET", "/api/evidence/*", A::operate},
      {"GET", "/api/evidence/*/*", A::operate},
  };
  return t;
}

struct HttpServer::Request {
  mg_connection* conn;
  const mg_request_info* ri;
  std::string uri, method, address;
  std::optional<auth::Principal> who;
  const RouteInfo* route = nullptr;
};

core::Result<std::unique_ptr<HttpServer>> HttpServer::start(const ServerOptions& options, pipeline::Node& node) {
  if (!options.auth) return core::make_error("no_auth", "the HTTP server needs the account store");
  std::unique_ptr<HttpServer> s(new HttpServer(node, options));
  const bool tls = options.tls_cert && options.tls_key;
  if (tls && !vsp_civetweb_ssl_shim_loaded()) return core::make_error("tls_unavailable", "OpenSSL shim missing");
  mg_init_library(tls ? MG_FEATURES_SSL : 0);
  const std::string ports = tls ? options.listen + "s" : options.listen;
  // request_timeout_ms bounds each read and each write: a client that trickles its headers
  // (slowloris) or stops reading a live view holds a thread for at most 10 s.
  const char* opts[] = {"listening_ports",    ports.c_str(), "num_threads", "64",
                        "enable_keep_alive",  "yes",         "tcp_nodelay", "1",
                        "request_timeout_ms", "10000",       nullptr};
  mg_callbacks cb{};
  cb.log_message = [](const mg_connection*, const char* m) {
    kLog.debug("civetweb: {}", m);
    return 1;
  };
  if (tls) cb.init_ssl = init_ssl;
  s->ctx_ = mg_start(&cb, &s->opt_, opts);
  if (!s->ctx_)
    return core::make_error(
        "listen_failed",
        tls ? fmt::format("api.listen: cannot serve HTTPS on {} (port in use, or api.tls cert/key unreadable or "
                          "not a pair)",
                          options.listen)
            : fmt::format("api.listen: cannot listen on {} (port in use?)", options.listen),
        "api.listen");
  mg_set_request_handler(s->ctx_, "/", handler, s.get());
  // The center's rule pushes arrive over the uplink and take the same path as PUT .../rules.
  node.set_rules_handler([srv = s.get()](const std::string& request) { return srv->answer_rules_request(request); });
  return s;
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::stop() {
  if (stopping_.exchange(true)) return;
  node_.set_rules_handler(nullptr);  // waits for a push being answered
  if (ctx_) mg_stop(ctx_);
  ctx_ = nullptr;
}

int HttpServer::handle(mg_connection* conn) {
  const mg_request_info* ri = mg_get_request_info(conn);
  Request r{conn,
            ri,
            ri->local_uri ? ri->local_uri : "/",
            ri->request_method ? ri->request_method : "",
            ri->remote_addr,
            std::nullopt,
            nullptr};
  if (r.method == "HEAD") r.method = "GET";
  int sent = 0;
  r.route = find_route(conn, r.method, r.uri, route_table(), sent);
  if (!r.route) return sent;  // 404 / 405
  if ((sent = admit(conn, r.method, r.uri, r.route->access, front(), r.who, audit_fn(r)))) return sent;
  return dispatch(r);
}

void HttpServer::audit(const Request& r, const std::string& action, const std::string& target,
                       const std::string& result, const std::string& reason) {
  if (auto st = auditor_.record(r.who, r.address, action, target, result, reason, core::wall_clock_ms()); !st)
    kLog.error("audit: {}", st.error().message);
}

AuditFn HttpServer::audit_fn(const Request& r) {
  return [this, address = r.address](const std::optional<auth::Principal>& who, const std::string& action,
                                     const std::string& target, const std::string& result) {
    if (auto st = auditor_.record(who, address, action, target, result, "", core::wall_clock_ms()); !st)
      kLog.error("audit: {}", st.error().message);
  };
}

FrontOptions HttpServer::front() const {
  return {opt_.auth, opt_.open_without_users, opt_.session_ttl_ms, opt_.tls_cert.has_value(), "vsp"};
}

int HttpServer::login(Request& r) { return api::login(r.conn, r.address, throttle_, front(), r.who, audit_fn(r)); }

namespace {
/// If-Match names the version the editor started from; "*" or none: any. A value that names no
/// version (not a number) is -1, a conflict.
std::optional<int> parse_if_match(const char* header) {
  if (!header || std::string(header) == "*") return std::nullopt;
  std::string v = header;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  try {
    size_t used = 0;
    const int n = std::stoi(v, &used);
    return used == v.size() ? n : -1;
  } catch (const std::exception&) {
    return -1;
  }
}
}  // namespace

json HttpServer::rules_doc(pipeline::CameraWorker& cam) {
  const auto rs = cam.rules();
  // The camera's run-time rules document (rules, privacy_masks, calibration), as a PUT takes it.
  json out = {{"camera", cam.name()}, {"version", rs.version}, {"applied_version", rs.applied_version}};
  out.update(config::camera_rules_to_json(rs.rules));
  return out;
}

HttpServer::RulesAnswer HttpServer::change_rules(pipeline::CameraWorker& cam, const std::string& body_text,
                                                 std::optional<int> expected, const std::optional<auth::Principal>& who,
                                                 const std::string& address) {
  const std::string& name = cam.name();
  auto audit_as = [&](const std::string& target, const std::string& result) {
    if (auto st = auditor_.record(who, address, "set_rules", target, result, "", core::wall_clock_ms()); !st)
      kLog.error("audit: {}", st.error().message);
  };
  auto error = [](int status, const std::string& code, const std::string& message, const std::string& path) {
    return RulesAnswer{status, {{"code", code}, {"message", message}, {"path", path}}};
  };
  json body = json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return error(400, "bad_rules",
                 "expected a JSON object {\"rules\": {...}, \"privacy_masks\": [...], \"calibration\": {...}} "
                 "(or the rules section alone, {\"lines\": [...], \"zones\": [...]})",
                 "body");
  // The body is the camera's run-time rules document; one without any of its keys is the `rules:`
  // section alone (the masks and the calibration stay).
  bool document = false;
  for (const char* k : config::kCameraRulesKeys) document = document || body.contains(k);
  if (!document) body = json{{"rules", body}};
  // The same parser and checks as the config file, against the camera's current config.
  auto parsed = config::camera_rules_from_json(body, cam.current_config());
  if (auto* errs = std::get_if<config::ConfigErrors>(&parsed)) {
    json list = json::array();
    for (const auto& e : *errs)
      list.push_back({{"path", fmt::format("cameras[{}].{}", name, e.path)}, {"message", e.message}});
    audit_as(name, "invalid");
    const json first = list.empty() ? json{{"path", ""}, {"message", "invalid rules"}} : list.front();
    return {400,
            {{"code", "invalid_rules"},
             {"message", fmt::format("{}: {}", first["path"].get<std::string>(), first["message"].get<std::string>())},
             {"path", first["path"]},
             {"errors", list}}};
  }
  const auto rules = std::get<config::CameraRules>(parsed);
  auto set = node_.set_camera_rules(name, rules, expected);
  if (!set) {
    const bool conflict = set.error().code == "version_conflict";
    audit_as(name, conflict ? "conflict" : "failed");
    return error(conflict ? 409 : 503, set.error().code, set.error().message, set.error().path);
  }
  const int version = *set;
  audit_as(fmt::format("{} v{}: {} line(s), {} zone(s), {} privacy mask(s), {} calibration point(s)", name, version,
                       rules.rules.lines.size(), rules.rules.zones.size(), rules.privacy_masks.size(),
                       rules.calibration ? rules.calibration->points.size() : 0),
           "ok");
  json out = {{"camera", name}, {"version", version}, {"applied_version", cam.rules().applied_version}};
  out.update(config::camera_rules_to_json(rules));
  return {200, out};
}

int HttpServer::put_rules(Request& r, pipeline::CameraWorker& cam) {
  const char* ct = mg_get_header(r.conn, "Content-Type");
  if (!ct || std::string(ct).rfind("application/json", 0) != 0)
    return send_error(r.conn, {415, "bad_content_type", "send the rules as application/json", "Content-Type"});
  const auto answer =
      change_rules(cam, read_body(r.conn, 65536), parse_if_match(mg_get_header(r.conn, "If-Match")), r.who, r.address);
  send_json(r.conn, answer.status, answer.body,
            answer.status == 200 ? fmt::format("ETag: \"{}\"\r\n", answer.body["version"].get<int>()) : "");
  return answer.status;
}

core::Result<std::string> HttpServer::snapshot_for(pipeline::CameraWorker& cam, bool raw, bool overlays) {
  auto jpg = cam.snapshot_jpeg(overlays);
  if (!jpg)
    return core::make_error("no_frame_yet", fmt::format("camera '{}' has not delivered a frame yet", cam.name()),
                            "camera");
  if (raw || !opt_.blur) return *jpg;
  auto shown = opt_.blur(cam.name(), *jpg, cam.person_boxes());  // nullopt: withheld, never shown raw
  if (!shown) return core::make_error("privacy_filter_failed", "the frame could not be blurred", "camera");
  return *shown;
}

std::string HttpServer::answer_rules_request(const std::string& request) {
  // {"op": "get"|"put"|"snapshot", "camera", "body" (put: the request body as the center received
  // it), "if_match" (put, optional), "overlays" (snapshot, optional: false = without them), "by":
  // the center's user} -> {"status": HTTP status, "body": what
  // the node's own route answers}.
  const json q = json::parse(request, nullptr, false);
  auto reply = [](int status, const json& body) { return json{{"status", status}, {"body", body}}.dump(); };
  auto error = [&](int status, const std::string& code, const std::string& message, const std::string& path) {
    return reply(status, {{"code", code}, {"message", message}, {"path", path}});
  };
  if (!q.is_object() || !q.contains("camera") || !q["camera"].is_string())
    return error(400, "bad_request", "expected {\"op\", \"camera\", ...}", "body");
  const std::string op = q.value("op", "");
  const std::string name = q["camera"];
  auto* cam = node_.camera(name);
  if (!cam) return error(404, "unknown_camera", fmt::format("no camera named '{}' on this node", name), "camera");
  if (op == "get") return reply(200, rules_doc(*cam));
  std::string by = q.contains("by") && q["by"].is_string() ? q["by"].get<std::string>() : "-";
  if (op == "snapshot") {
    // The editor's backdrop on the center: blurred as every viewer's snapshot, and audited. The
    // reply is the JSON line, a newline, then the JPEG (NATS payloads are at most 1 MiB).
    const std::optional<auth::Principal> viewer = auth::Principal{"center:" + by, auth::Role::viewer, "", false};
    if (auto st = auditor_.record(viewer, "nats", "snapshot", name, "ok", "", core::wall_clock_ms()); !st)
      kLog.error("audit: {}", st.error().message);
    const bool overlays = !q.contains("overlays") || !q["overlays"].is_boolean() || q["overlays"].get<bool>();
    auto shown = snapshot_for(*cam, false, overlays);
    if (!shown) return error(503, shown.error().code, shown.error().message, shown.error().path);
    if (shown->size() > 1000 * 1000)
      return error(413, "too_large", "the snapshot is larger than a NATS message may be", "camera");
    return json{{"status", 200}, {"content_type", "image/jpeg"}}.dump() + "\n" + *shown;
  }
  if (op != "put") return error(400, "bad_request", fmt::format("unknown op '{}'", op), "op");
  const std::optional<auth::Principal> who = auth::Principal{"center:" + by, auth::Role::operator_, "", false};
  std::optional<int> expected;
  if (q.contains("if_match") && q["if_match"].is_string())
    expected = parse_if_match(q["if_match"].get<std::string>().c_str());
  const std::string body = q.contains("body") && q["body"].is_string() ? q["body"].get<std::string>() : "";
  const auto answer = change_rules(*cam, body, expected, who, "nats");
  return reply(answer.status, answer.body);
}

int HttpServer::dispatch(Request& r) {
  mg_connection* conn = r.conn;
  const std::string& uri = r.uri;
  const Query q(r.ri);
  std::optional<HttpError> err;

  if (uri == "/" || uri.rfind("/assets/", 0) == 0) {
    const auto asset = find_web_asset(uri == "/" ? "/index.html" : uri);
    if (!asset) return send_error(conn, {404, "not_found", fmt::format("no such file: {}", uri), uri});
    send(conn, 200, std::string(asset->content_type), std::string(asset->body), kWebUiHeaders);
    return 200;
  }
  if (uri == "/healthz") {
    send_json(conn, 200, {{"status", "ok"}});
    return 200;
  }
  if (uri == "/metrics") {
    send(conn, 200, "text/plain; version=0.0.4", node_.metrics_text());
    return 200;
  }
  if (uri == "/api/login") return login(r);
  if (uri == "/api/logout") return logout(conn, front(), r.who, audit_fn(r));
  if (uri == "/api/me") return api::me(conn, *r.who, "node");
  if (uri == "/api/audit") return audit_page(conn, *opt_.auth, r.who, audit_fn(r));
  // ---- Road: signal states (external input) and evidence packs -----------------------------------
  const auto segs = split_path(uri);
  if (uri == "/api/signals") {
    json sigs = json::array();
    const auto latest = node_.signals().latest();
    for (const auto& name : node_.signal_names()) {
      json j = {{"name", name}, {"state", "unknown"}, {"since", nullptr}, {"source", nullptr}};
      for (const auto& c : latest)
        if (c.name == name)
          j.update({{"state", road::to_string(c.state)},
                    {"since", events::format_rfc3339_ms(c.at_ms)},
                    {"source", c.source}});
      sigs.push_back(j);
    }
    send_json(conn, 200, {{"signals", sigs}});
    return 200;
  }
  if (segs.size() == 3 && segs[0] == "api" && segs[1] == "signals") {
    const std::string body = read_body(conn, 8192);
    // One path with the NATS subject (Node::update_signal); the controller's own time of the
    // change when it sends one (`ts` or `at`), else when it arrived.
    const auto now = node_.update_signal(segs[2], body, "api", core::wall_clock_ms());
    if (!now)
      return send_error(conn, {now.error().code == "unknown_signal" ? 404 : 400, now.error().code, now.error().message,
                               now.error().path});
    send_json(conn, 200,
              {{"name", segs[2]},
               {"state", road::to_string(now->state)},
               {"since", events::format_rfc3339_ms(now->since_ms)}});
    return 200;
  }
  if (segs.size() >= 3 && segs[0] == "api" && segs[1] == "evidence") {
    // Packs are named by event id: hex digits and dashes only (no path can be smuggled in).
    const std::string id = segs[2];
    const bool id_ok = !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == '-';
    });
    const fs::path dir = fs::path(node_.config().storage_path) / "evidence" / id;
    std::error_code ec;
    if (!id_ok || !fs::is_directory(dir, ec))
      return send_error(conn, {404, "unknown_evidence", fmt::format("no evidence pack for event '{}'", id), "id"});
    if (segs.size() == 3) {
      const auto v = evidence::verify(dir.string(), node_.evidence_public_key());
      json files = json::array();
      for (const auto& f : fs::directory_iterator(dir, ec))
        if (f.is_regular_file()) files.push_back(f.path().filename().string());
      std::sort(files.begin(), files.end());
      audit(r, "evidence", id, "ok");
      send_json(conn, 200,
                {{"event_id", id},
                 {"files", files},
                 {"intact", v.ok},
                 {"problem", v.ok ? json(nullptr) : json(v.file + ": " + v.message)},
                 {"public_key", node_.evidence_public_key()}});
      return 200;
    }
    const std::string file = segs[3];
    const bool file_ok =
        segs.size() == 4 && !file.empty() && file[0] != '.' && file.find_first_of("/\\") == std::string::npos;
    if (!file_ok || !fs::is_regular_file(dir / file, ec))
      return send_error(conn, {404, "unknown_file", fmt::format("no file '{}' in the pack", file), "file"});
    audit(r, "evidence_file", id + "/" + file, "ok");
    mg_send_file(conn, (dir / file).string().c_str());
    return 200;
  }
  auto require_camera = [&](const std::string& name) -> pipeline::CameraWorker* {
    auto* cam = node_.camera(name);
    if (!cam && !err) err = HttpError{404, "unknown_camera", fmt::format("no camera named '{}'", name), "camera"};
    return cam;
  };
  if (uri == "/api/cameras") {
    json cams = json::array();
    for (const auto& c : node_.cameras()) cams.push_back(camera_json(c));
    send_json(conn, 200, {{"cameras", cams}, {"storage", storage_json(node_.storage(), node_.config())}});
    return 200;
  }
  if (uri == "/api/node") {  // who this node is and how its uplink is doing
    const auto& cfg = node_.config();
    json up = {{"configured", false}, {"outbox_pending", node_.store().outbox_size()}};
    if (const auto st = node_.uplink_status())
      up.update({{"configured", true},
                 {"connected", st->connected},
                 {"published_total", st->published_total},
                 {"publish_failures_total", st->publish_failures_total},
                 {"outbox_dropped_total", st->outbox_dropped_total},
                 {"last_error", st->last_error}});
    send_json(conn, 200, {{"site", cfg.site}, {"node", cfg.node}, {"uplink", up}});
    return 200;
  }
  if (uri == "/api/events") {
    store::EventQuery eq;
    eq.camera = q.opt("camera");
    if (eq.camera) require_camera(*eq.camera);
    eq.type = q.opt("type");
    eq.rule = q.opt("rule");
    eq.since_ms = q.time("since", err);
    eq.until_ms = q.time("until", err);
    eq.limit = q.integer("limit", 1, 1000, err).value_or(100);
    eq.cursor = q.opt("cursor");
    if (const auto order = q.opt("order"); order && *order != "asc" && *order != "desc")
      err = HttpError{400, "bad_parameter", fmt::format("order must be asc or desc, got '{}'", *order), "order"};
    eq.newest_first = q.opt("order").value_or("asc") == "desc";
    check_order(eq.since_ms, eq.until_ms, err);
    if (err) return send_error(conn, *err);
    audit(r, "search_events", std::string(r.ri->query_string ? r.ri->query_string : ""), "ok");
    auto page = node_.store().events(eq);
    if (!page) return send_error(conn, {400, page.error().code, page.error().message, page.error().path});
    json evs = json::array();
    for (const auto& e : page->events_json) evs.push_back(json::parse(e));
    json body = {{"events", evs}};
    if (page->next_cursor) body["next_cursor"] = *page->next_cursor;
    send_json(conn, 200, body);
    return 200;
  }
  if (uri == "/api/counts") {
    store::CountQuery cq;
    cq.camera = q.opt("camera");
    if (cq.camera) require_camera(*cq.camera);
    cq.rule = q.opt("rule");
    const std::string bucket = q.str("bucket").value_or("1m");
    const std::map<std::string, std::int64_t> buckets = {
        {"1m", 60'000}, {"15m", 900'000}, {"1h", 3'600'000}, {"1d", 86'400'000}};
    if (!buckets.count(bucket) && !err)
      err = HttpError{400, "bad_parameter", fmt::format("bucket: expected 1m, 15m, 1h or 1d, got '{}'", bucket),
                      "bucket"};
    cq.bucket_ms = buckets.count(bucket) ? buckets.at(bucket) : 60'000;
    cq.until_ms = q.time("until", err).value_or(core::wall_clock_ms() + 60'000);
    cq.since_ms = q.time("since", err).value_or(cq.until_ms - 24 * 3'600'000LL);
    check_order(cq.since_ms, cq.until_ms, err);
    if (err) return send_error(conn, *err);
    audit(r, "search_counts", std::string(r.ri->query_string ? r.ri->query_string : ""), "ok");
    auto pts = node_.store().counts(cq);
    if (!pts) return send_error(conn, {500, pts.error().code, pts.error().message, ""});
    // One series per (camera, rule); each point holds its keys (in/out, enter/exit, ...).
    std::map<std::pair<std::string, std::string>, std::map<std::int64_t, json>> series;
    for (const auto& p : *pts) {
      auto& point = series[{p.camera, p.rule}][p.bucket_start_ms];
      if (point.is_null()) point = {{"t", events::format_rfc3339_ms(p.bucket_start_ms)}};
      point[p.key] = p.n;
    }
    json out = json::array();
    for (auto& [k, points] : series) {
      json arr = json::array();
      for (auto& [t, p] : points) {
        // Zone occupancy is stored as a sum and a number of samples: the bucket's mean.
        if (p.contains("zone_occupancy_samples")) {
          const double n = p["zone_occupancy_samples"].get<double>();
          const double sum = p.value("zone_occupancy_sum", 0.0);
          p["zone_occupancy"] = n > 0 ? std::round(sum / n * 10) / 10 : 0.0;
          p.erase("zone_occupancy_samples");
          p.erase("zone_occupancy_sum");
        }
        arr.push_back(p);
      }
      out.push_back({{"camera", k.first}, {"rule", k.second}, {"points", arr}});
    }
    send_json(conn, 200, {{"bucket", bucket}, {"series", out}});
    return 200;
  }
  if (uri == "/api/recordings") {
    const auto camera = q.opt("camera");
    if (camera) require_camera(*camera);
    const auto until = q.time("until", err).value_or(INT64_MAX);
    const auto since = q.time("since", err).value_or(INT64_MIN);
    check_order(since, until, err);
    if (err) return send_error(conn, *err);
    audit(r, "search_recordings", std::string(r.ri->query_string ? r.ri->query_string : ""), "ok");
    json recs = json::array();
    for (const auto& rec : node_.store().segments(camera, since, until, true))
      recs.push_back({{"camera", rec.file.camera},
                      {"start", events::format_rfc3339_ms(rec.file.start_ms)},
                      {"end", events::format_rfc3339_ms(rec.file.end_ms)},
                      {"duration_s", static_cast<double>(rec.file.end_ms - rec.file.start_ms) / 1000.0},
                      {"bytes", rec.file.bytes},
                      {"path", rec.file.path}});
    send_json(conn, 200, {{"recordings", recs}});
    return 200;
  }
  if (uri == "/api/clip") {
    const auto camera = q.str("camera");
    if (!camera || camera->empty())
      err = HttpError{400, "missing_parameter", "camera is required", "camera"};
    else
      require_camera(*camera);
    const auto start = q.time("start", err), end = q.time("end", err);
    if (!err && (!start || !end))
      err = HttpError{400, "missing_parameter", "start and end are required", start ? "end" : "start"};
    if (!err && *start >= *end) err = HttpError{400, "bad_range", "start must be before end", "start"};
    if (!err && *end - *start > kMaxClipMs)
      err = HttpError{400, "bad_range", "a clip may be at most 1 hour long", "end"};
    const bool raw_clip = q.opt("raw").value_or("0") == "1";
    const std::string clip_reason = q.opt("reason").value_or("");
    if (!err && raw_clip && !auth::allows(r.who->role, auth::Access::unmask)) {
      audit(r, "unmask_clip", *camera, "denied", clip_reason);
      err = HttpError{403, "forbidden", "unmasked (raw) clips need the auditor or admin role", "raw"};
    }
    if (!err && raw_clip && clip_reason.size() < 4)
      err = HttpError{400, "reason_required", "unmasking needs a reason (reason=..., 4+ characters)", "reason"};
    if (err) return send_error(conn, *err);
    const std::string target =
        fmt::format("{} {}..{}", *camera, events::format_rfc3339_ms(*start), events::format_rfc3339_ms(*end));
    auto path = node_.export_clip(*camera, *start, *end);
    if (path && !raw_clip && opt_.blur_clip) {
      auto blurred = opt_.blur_clip(*path);  // re-encoded with faces covered; the raw export stays on disk
      if (!blurred) {
        audit(r, "clip", target, "failed");
        return send_error(conn, {503, blurred.error().code, blurred.error().message, ""});
      }
      *path = *blurred;
    }
    audit(r, raw_clip ? "unmask_clip" : "clip", target, path ? "ok" : "failed", clip_reason);
    if (!path)  // no video there (404), or the storage failed writing the clip or its row (503)
      return send_error(conn, {path.error().code == "no_recording" ? 404 : 503, path.error().code, path.error().message,
                               path.error().path});
    mg_send_file(conn, path->c_str());  // streamed from disk; clips can be hundreds of MB
    return 200;
  }
  if (const std::string ev = "/api/events/", snap = "/snapshot.jpg";
      uri.rfind(ev, 0) == 0 && uri.size() > ev.size() + snap.size() &&
      uri.compare(uri.size() - snap.size(), snap.size(), snap) == 0) {  // an event's own snapshot (plate crops)
    const std::string id = uri.substr(ev.size(), uri.size() - ev.size() - snap.size());
    const auto text = node_.store().event_json(id);
    if (!text) return send_error(conn, {404, "unknown_event", fmt::format("no event {}", id), "id"});
    const auto e = events::from_json_line(*text);
    if (!e || e->snapshot_ref.empty() || e->snapshot_ref.find("..") != std::string::npos)
      return send_error(conn, {404, "no_snapshot", fmt::format("event {} has no snapshot", id), "id"});
    const auto path = std::filesystem::path(node_.config().storage_path) / e->snapshot_ref;
    if (!std::filesystem::is_regular_file(path))
      return send_error(conn,
                        {404, "no_snapshot", fmt::format("the snapshot of event {} is gone (retention)", id), "id"});
    audit(r, "event_snapshot", id, "ok");
    mg_send_file(conn, path.c_str());
    return 200;
  }
  const std::string prefix = "/api/cameras/";
  if (uri.rfind(prefix, 0) == 0) {
    const auto slash = uri.find('/', prefix.size());
    const std::string name =
        uri.substr(prefix.size(), slash == std::string::npos ? std::string::npos : slash - prefix.size());
    const std::string leaf = slash == std::string::npos ? "" : uri.substr(slash + 1);
    auto* cam = require_camera(name);
    if (err) return send_error(conn, *err);
    // ---- Unmasking: raw frames need the unmask right and a stated reason, and are audited
    const bool raw = q.opt("raw").value_or("0") == "1";
    const std::string reason = q.opt("reason").value_or("");
    // overlays=0: the picture without boxes, tracks, lines and zones (the live view's toggle).
    const std::string overlays_arg = q.opt("overlays").value_or("1");
    if (overlays_arg != "0" && overlays_arg != "1" && (leaf == "snapshot.jpg" || leaf == "live.mjpeg"))
      return send_error(conn, {400, "bad_parameter", "overlays: expected 0 or 1", "overlays"});
    const bool overlays = overlays_arg == "1";
    if (raw && (leaf == "snapshot.jpg" || leaf == "live.mjpeg")) {
      if (!auth::allows(r.who->role, auth::Access::unmask)) {
        audit(r, "unmask", name, "denied", reason);
        return send_error(conn, {403, "forbidden", "unmasked (raw) frames need the auditor or admin role", "raw"});
      }
      if (reason.size() < 4)
        return send_error(conn,
                          {400, "reason_required", "unmasking needs a reason (reason=..., 4+ characters)", "reason"});
    }
    auto viewable = [&](std::optional<std::string> jpg) -> std::optional<std::string> {
      if (!jpg || raw || !opt_.blur) return jpg;
      return opt_.blur(name, *jpg, cam->person_boxes());  // nullopt: withheld, never shown raw
    };
    if (leaf == "rules" && r.method == "PUT") return put_rules(r, *cam);
    if (leaf == "rules") {
      const json doc = rules_doc(*cam);
      send_json(conn, 200, doc, fmt::format("ETag: \"{}\"\r\n", doc["version"].get<int>()));
      return 200;
    }
    if (leaf == "snapshot.jpg") {
      audit(r, raw ? "unmask_snapshot" : "snapshot", name, "ok", reason);
      auto shown = snapshot_for(*cam, raw, overlays);
      if (!shown) return send_error(conn, {503, shown.error().code, shown.error().message, shown.error().path});
      send(conn, 200, "image/jpeg", *shown);
      return 200;
    }
    if (leaf == "heatmap.png") {
      // ---- Where a class (default person) stood and walked over [since, until), on a snapshot
      const std::string cls = q.opt("class").value_or("person");
      const int class_id = core::coco_id(cls).value_or(-1);
      if (class_id < 0)
        err = HttpError{400, "bad_parameter", fmt::format("class: not a COCO class name: '{}'", cls), "class"};
      const auto until = q.time("until", err).value_or(core::wall_clock_ms());
      const auto since = q.time("since", err).value_or(until - 3'600'000LL);
      check_order(since, until, err);
      if (err) return send_error(conn, *err);
      audit(r, "heatmap", name, "ok");
      auto grid = node_.heatmaps().read(name, class_id, since, until);
      if (!grid) return send_error(conn, {400, grid.error().code, grid.error().message, grid.error().path});
      // The background is the (privacy-filtered) snapshot; without one, a dark canvas.
      const auto jpg = viewable(cam->snapshot_jpeg());
      send(conn, 200, "image/png", crowd::render_heatmap_png_on_jpeg(*grid, jpg.value_or("")));
      return 200;
    }
    if (leaf == "live.mjpeg") {
      audit(r, raw ? "unmask_live_view" : "live_view", name, "ok", reason);
      mg_printf(conn,
                "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=vspframe\r\n"
                "Cache-Control: no-store\r\nConnection: close\r\n\r\n");
      std::uint64_t seq = 0;
      while (!stopping_) {
        const auto next = cam->wait_frame(seq, 1000);
        if (next == seq) continue;
        seq = next;
        auto jpg = viewable(cam->snapshot_jpeg(overlays));
        if (!jpg) continue;
        if (mg_printf(conn, "--vspframe\r\nContent-Type: image/jpeg\r\nContent-Length: %zu\r\n\r\n", jpg->size()) <=
                0 ||
            mg_write(conn, jpg->data(), jpg->size()) <= 0 || mg_printf(conn, "\r\n") <= 0)
          break;  // viewer left
      }
      return 200;
    }
    if (leaf.empty()) {
      for (const auto& c : node_.cameras())
        if (c.name == name) {
          send_json(conn, 200, camera_json(c));
          return 200;
        }
    }
  }
  return send_error(conn, {404, "not_found", fmt::format("no such endpoint: {}", uri), uri});
}

}  // namespace vsp::api
