#include "api/http_server.hpp"

#include <civetweb.h>
#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "api/index_page.hpp"
#include "core/clock.hpp"
#include "events/event.hpp"

namespace vsp::api {

using nlohmann::json;

namespace {

constexpr std::int64_t kMaxClipMs = 3'600'000;

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
  /// A parameter that is absent or empty counts as not given.
  std::optional<std::string> opt(const char* name) const {
    auto v = str(name);
    if (v && v->empty()) v.reset();
    return v;
  }
  std::optional<std::int64_t> time(const char* name, std::optional<HttpError>& err) const {
    auto s = str(name);
    if (!s || s->empty()) return std::nullopt;
    auto t = events::parse_rfc3339_ms(*s);
    if (!t && !err)
      err = HttpError{400, "bad_time",
                      fmt::format("{}: expected an RFC 3339 UTC time like 2026-01-31T12:00:00Z, got '{}'", name, *s),
                      name};
    return t;
  }
  std::optional<int> integer(const char* name, int lo, int hi, std::optional<HttpError>& err) const {
    auto s = str(name);
    if (!s || s->empty()) return std::nullopt;
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

 private:
  std::string qs_;
};

/// since <= until, when both are given; the first error wins.
void check_order(std::optional<std::int64_t> since, std::optional<std::int64_t> until, std::optional<HttpError>& err) {
  if (!err && since && until && *since > *until) err = HttpError{400, "bad_range", "since is after until", "since"};
}

json camera_json(const pipeline::CameraStatus& c) {
  return {{"name", c.name},
          {"state", c.state},
          {"last_error", c.last_error},
          {"fps_in", std::round(c.fps_in * 10) / 10},
          {"fps_analysed", std::round(c.fps_analysed * 10) / 10},
          {"width", c.width},
          {"height", c.height},
          {"packets_received", c.packets_in},
          {"packets_recorded", c.packets_recorded},
          {"packets_record_failed", c.packets_record_failed},
          {"record_errors", c.record_errors},
          {"recording", c.recording},
          {"record_error", c.record_error},
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

json storage_json(const pipeline::StorageStatus& s) {
  return {{"path", s.path},
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

}  // namespace

core::Result<std::unique_ptr<HttpServer>> HttpServer::start(const std::string& listen, pipeline::Node& node) {
  std::unique_ptr<HttpServer> s(new HttpServer(node));
  mg_init_library(0);
  const char* options[] = {"listening_ports",    listen.c_str(), "num_threads", "32",
                           "enable_keep_alive",  "yes",          "tcp_nodelay", "1",
                           "request_timeout_ms", "3600000",      nullptr};
  mg_callbacks cb{};
  cb.log_message = [](const mg_connection*, const char*) { return 1; };  // we log ourselves
  s->ctx_ = mg_start(&cb, nullptr, options);
  if (!s->ctx_)
    return core::make_error("listen_failed", fmt::format("api.listen: cannot listen on {} (port in use?)", listen),
                            "api.listen");
  mg_set_request_handler(s->ctx_, "/", handler, s.get());
  return s;
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::stop() {
  if (stopping_.exchange(true)) return;
  if (ctx_) mg_stop(ctx_);
  ctx_ = nullptr;
}

int HttpServer::handle(mg_connection* conn) {
  const mg_request_info* ri = mg_get_request_info(conn);
  const std::string uri = ri->local_uri ? ri->local_uri : "/";
  const std::string method = ri->request_method ? ri->request_method : "";
  if (method != "GET" && method != "HEAD")
    return send_error(
        conn, {405, "method_not_allowed", fmt::format("{} is not allowed; this API is read-only", method), uri});
  const Query q(ri);
  std::optional<HttpError> err;

  if (uri == "/") {
    send(conn, 200, "text/html; charset=utf-8", kIndexPage);
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
  auto require_camera = [&](const std::string& name) -> pipeline::CameraWorker* {
    auto* cam = node_.camera(name);
    if (!cam && !err) err = HttpError{404, "unknown_camera", fmt::format("no camera named '{}'", name), "camera"};
    return cam;
  };
  if (uri == "/api/cameras") {
    json cams = json::array();
    for (const auto& c : node_.cameras()) cams.push_back(camera_json(c));
    send_json(conn, 200, {{"cameras", cams}, {"storage", storage_json(node_.storage())}});
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
      for (auto& [t, p] : points) arr.push_back(p);
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
    json recs = json::array();
    for (const auto& r : node_.store().segments(camera, since, until, true))
      recs.push_back({{"camera", r.file.camera},
                      {"start", events::format_rfc3339_ms(r.file.start_ms)},
                      {"end", events::format_rfc3339_ms(r.file.end_ms)},
                      {"duration_s", static_cast<double>(r.file.end_ms - r.file.start_ms) / 1000.0},
                      {"bytes", r.file.bytes},
                      {"path", r.file.path}});
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
    if (err) return send_error(conn, *err);
    auto path = node_.export_clip(*camera, *start, *end);
    if (!path)  // no video there (404), or the storage failed writing the clip or its row (503)
      return send_error(conn, {path.error().code == "no_recording" ? 404 : 503, path.error().code, path.error().message,
                               path.error().path});
    mg_send_file(conn, path->c_str());  // streamed from disk; clips can be hundreds of MB
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
    if (leaf == "snapshot.jpg") {
      auto jpg = cam->snapshot_jpeg();
      if (!jpg)
        return send_error(
            conn, {503, "no_frame_yet", fmt::format("camera '{}' has not delivered a frame yet", name), "camera"});
      send(conn, 200, "image/jpeg", *jpg);
      return 200;
    }
    if (leaf == "live.mjpeg") {
      mg_printf(conn,
                "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=vspframe\r\n"
                "Cache-Control: no-store\r\nConnection: close\r\n\r\n");
      std::uint64_t seq = 0;
      while (!stopping_) {
        const auto next = cam->wait_frame(seq, 1000);
        if (next == seq) continue;
        seq = next;
        auto jpg = cam->snapshot_jpeg();
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
