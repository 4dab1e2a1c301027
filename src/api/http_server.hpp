#pragma once
/// The node's HTTP API (JSON over HTTP or HTTPS, civetweb): cameras, events, counts, recordings,
/// clips, snapshots, the MJPEG live view, camera rules (read and replaced live), the audit log,
/// login, /metrics, /healthz and the web UI at / (web/, embedded). Every route is listed once in `route_table()` with
/// the access it needs (the role matrix is `auth::allows`). Errors are `{code, message, path}` with an HTTP status.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/front.hpp"
#include "auth/auth_store.hpp"
#include "auth/login_throttle.hpp"
#include "auth/role.hpp"
#include "core/result.hpp"
#include "pipeline/node.hpp"

struct mg_context;
struct mg_connection;

namespace vsp::api {

/// One route: `pattern` segments match literally, `*` matches one path segment (a camera name).
struct RouteInfo {
  std::string method;  ///< GET (HEAD too), POST or PUT
  std::string pattern;
  auth::Access access;
};
/// Every route the server answers, with the access it needs.
const std::vector<RouteInfo>& route_table();

/// Turns a camera's latest JPEG into the one viewers get (faces blurred, and the heads of the
/// people boxes given); nullopt = the frame must not be shown.
using FrameFilter = std::function<std::optional<std::string>(const std::string& camera, const std::string& jpeg,
                                                             const std::vector<core::BoxXyxy>& persons)>;

/// Turns an exported clip (a file path) into its blurred copy; returns the copy's path.
using ClipFilter = std::function<core::Result<std::string>(const std::string& clip_path)>;

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";
  std::optional<std::string> tls_cert, tls_key;  ///< both or neither: HTTPS
  auth::AuthStore* auth = nullptr;               ///< accounts, tokens, sessions, audit (required)
  /// Without any user, a loopback-only node answers everyone as `admin` (development and demos);
  /// a non-loopback node answers 401 until a user exists.
  bool open_without_users = true;
  FrameFilter blur;      ///< applied to snapshots and live view unless unmasked
  ClipFilter blur_clip;  ///< applied to /api/clip unless unmasked (raw=1 with a reason)
  std::int64_t session_ttl_ms = 12 * 3'600'000LL;
  auth::ThrottlePolicy throttle;
};

class HttpServer {
 public:
  /// Binds `options.listen`; errors when the port is taken or the certificate does not load.
  static core::Result<std::unique_ptr<HttpServer>> start(const ServerOptions& options, pipeline::Node& node);
  ~HttpServer();
  /// Stops accepting, ends live streams, waits for handlers.
  void stop();
  int handle(mg_connection* conn);
  /// A rule request from the center over NATS (`vsp.rules.<site>.<node>`): `{"op":"get"|"put",
  /// "camera", "body", "if_match", "by"}` -> `{"status", "body"}`, the body being exactly what
  /// GET/PUT /api/cameras/<name>/rules answer (a push is audited as user `center:<by>`);
  /// `{"op":"snapshot", "camera", "by"}` -> `{"status":200,"content_type"}` + "\n" + the JPEG
  /// (blurred as GET .../snapshot.jpg), the editor's backdrop.
  std::string answer_rules_request(const std::string& request);

 private:
  HttpServer(pipeline::Node& node, const ServerOptions& o) : node_(node), opt_(o), throttle_(o.throttle) {}
  struct Request;
  int dispatch(Request& r);
  int login(Request& r);
  FrontOptions front() const;          ///< what the shared front door needs (api/front.hpp)
  AuditFn audit_fn(const Request& r);  ///< audit records of `r`'s address, for the front door
  /// PUT /api/cameras/<name>/rules: the camera's run-time rules document (rules, privacy masks,
  /// calibration; or the `rules:` section alone), validated like the config file, swapped in
  /// without a restart.
  int put_rules(Request& r, pipeline::CameraWorker& cam);
  /// The one place rules change (the API's PUT and the center's push): parse and check like the
  /// config file, keep, swap in, audit. The body is the JSON answer (errors carry field paths).
  struct RulesAnswer {
    int status;
    nlohmann::json body;
  };
  RulesAnswer change_rules(pipeline::CameraWorker& cam, const std::string& body_text, std::optional<int> expected,
                           const std::optional<auth::Principal>& who, const std::string& address);
  /// The camera's latest frame as GET .../snapshot.jpg gives it: faces blurred unless `raw`,
  /// overlays drawn unless `overlays` is false.
  core::Result<std::string> snapshot_for(pipeline::CameraWorker& cam, bool raw, bool overlays = true);
  /// GET /api/cameras/<name>/rules' body: the run-time rules document with its versions.
  static nlohmann::json rules_doc(pipeline::CameraWorker& cam);
  void audit(const Request& r, const std::string& action, const std::string& target, const std::string& result,
             const std::string& reason = {});
  pipeline::Node& node_;
  ServerOptions opt_;
  auth::LoginThrottle throttle_;
  mg_context* ctx_ = nullptr;
  std::atomic<bool> stopping_{false};
  auth::RequestAuditor auditor_{opt_.auth};  ///< audit records of requests (after the options it reads)
};

}  // namespace vsp::api
