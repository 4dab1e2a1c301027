#pragma once
/// The center's HTTP API (civetweb, the node's conventions from docs/api.md): `GET /api/events`
/// across nodes, `GET /api/counts` from the rollups, `GET /api/nodes`, clips and snapshots relayed
/// from the nodes, `/metrics`, `/healthz`, and the node's accounts: login, sessions, tokens and
/// the audit log (`src/auth`). Every route is listed once in `route_table()` with the access it
/// needs. Errors are `{code, message, path}` with an HTTP status.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/front.hpp"
#include "auth/auth_store.hpp"
#include "auth/login_throttle.hpp"
#include "auth/role.hpp"
#include "center/alerts.hpp"
#include "center/consumer.hpp"
#include "center/pg_store.hpp"
#include "core/result.hpp"

struct mg_context;
struct mg_connection;

namespace vsp::center {

/// One route: `pattern` segments match literally, `*` matches one path segment.
struct Route {
  std::string method;  ///< GET (HEAD too) or POST
  std::string pattern;
  auth::Access access;
};
/// Every route the center answers, with the access it needs (the role matrix is `auth::allows`).
const std::vector<Route>& route_table();

/// Who may use the API.
struct CenterAuth {
  auth::AuthStore* store = nullptr;  ///< accounts, tokens, sessions, audit (required)
  /// Without any enabled user, a loopback-only center answers everyone as `admin` (development).
  bool open_without_users = true;
  std::int64_t session_ttl_ms = 12 * 3'600'000LL;
  auth::ThrottlePolicy throttle;
};

class CenterApi {
 public:
  /// Binds `listen`; errors when the port is taken. `consumer` may be null (API only).
  static core::Result<std::unique_ptr<CenterApi>> start(const std::string& listen, PgStore& store,
                                                        const Consumer* consumer, const AlertDispatcher* alerts,
                                                        CenterAuth auth);
  ~CenterApi();
  /// NATS servers used to fetch evidence from the nodes (request-reply); set before start.
  void set_nats_servers(std::vector<std::string> servers, core::NatsAuth auth = {}) {
    std::lock_guard lock(nats_m_);
    nats_servers_ = std::move(servers);
    nats_auth_ = std::move(auth);
  }
  void stop();
  int handle(mg_connection* conn);

 private:
  CenterApi(PgStore& store, const Consumer* consumer, const AlertDispatcher* alerts, CenterAuth auth);
  std::string metrics_text();
  struct Request;
  /// Answers the request once authenticated and authorised.
  int dispatch(Request& r);
  int login(Request& r);
  api::FrontOptions front() const;          ///< what the shared front door needs (api/front.hpp)
  api::AuditFn audit_fn(const Request& r);  ///< audit records of `r`'s address, for the front door
  int audit_page(Request& r);
  void audit(const Request& r, const std::string& action, const std::string& target, const std::string& result,
             const std::string& reason = {});
  /// Streams one evidence file from a node to the client; returns the HTTP status sent. With
  /// `into`, the file's bytes are collected there instead and only an error is sent.
  int relay_evidence(mg_connection* conn, const std::string& site, const std::string& node,
                     const std::string& open_request, std::string* into = nullptr);
  /// GET/PUT /api/nodes/<site>/<node>/cameras/<camera>/rules: the node's own rules route, over
  /// NATS request-reply on `vsp.rules.<site>.<node>` (the node validates, keeps and applies); GET
  /// .../snapshot.jpg: the camera's latest frame, blurred, for the rule editor.
  int node_camera(Request& r, const std::string& site, const std::string& node, const std::string& camera,
                  const std::string& leaf);
  /// GET /api/alerts (open, acknowledged or all; newest first, paged).
  int alerts_page(Request& r);
  /// POST /api/alerts/<id>/ack: who and when go to PostgreSQL and the audit log.
  int ack_alert(Request& r, const std::string& id);
  /// `GET /api/evidence/<event id>[/<file>]`: a node's evidence pack, listed from its manifest or
  /// one file of it, fetched from the node that recorded the event.
  int evidence(Request& r, const std::vector<std::string>& segs);
  struct Nats;
  /// The center's NATS connection for request-reply to the nodes, connected on first use.
  core::Result<Nats*> nats();
  std::mutex nats_m_;
  std::unique_ptr<Nats> nats_;
  std::vector<std::string> nats_servers_;
  core::NatsAuth nats_auth_;
  PgStore& store_;
  const Consumer* consumer_;
  const AlertDispatcher* alerts_;
  CenterAuth auth_;
  auth::LoginThrottle throttle_;
  auth::RequestAuditor auditor_{auth_.store};  ///< audit records of requests (after the options it reads)
  mg_context* ctx_ = nullptr;
  std::atomic<bool> stopping_{false};
};

}  // namespace vsp::center
