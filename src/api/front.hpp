#pragma once
/// The HTTP front door shared by the node (`api::HttpServer`) and the center (`center::CenterApi`):
/// replies in one format, route lookup (404 / 405), the body limit (413), authentication (bearer
/// token, else the session cookie), the role check (403), CSRF on cookie sessions, and the login
/// and logout endpoints. One behaviour in one place: both servers call these, so a fix to how a
/// request is admitted reaches both.
#include <civetweb.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/query.hpp"
#include "auth/auth_store.hpp"
#include "auth/login_throttle.hpp"
#include "auth/role.hpp"

namespace vsp::api {

/// Writes a whole response with the security headers every reply carries.
void send(mg_connection* c, int status, const std::string& type, const std::string& body,
          const std::string& extra_headers = {});
void send_json(mg_connection* c, int status, const nlohmann::json& j, const std::string& extra_headers = {});
/// `{code, message, path}` with the error's status; returns the status.
int send_error(mg_connection* c, const HttpError& e, const std::string& extra_headers = {});
/// The request body, up to `max` bytes.
std::string read_body(mg_connection* c, size_t max);
/// The value of cookie `name` in a Cookie header, or empty.
std::string cookie(const char* header, const char* name);

/// What the front door needs to know about the server it guards.
struct FrontOptions {
  auth::AuthStore* store = nullptr;  ///< accounts, tokens, sessions
  /// Without any enabled user, answer everyone as `admin` (only allowed on loopback binds).
  bool open_without_users = true;
  std::int64_t session_ttl_ms = 12 * 3'600'000LL;
  bool secure_cookies = false;  ///< served over TLS: cookies get `Secure`
  std::string realm = "vsp";    ///< WWW-Authenticate realm
};

/// Records one audit entry (who may be empty: not logged in yet).
using AuditFn = std::function<void(const std::optional<auth::Principal>& who, const std::string& action,
                                   const std::string& target, const std::string& result)>;

/// The route of `method` `uri` in `table` (entries with `method`, `pattern`); sends 404 for an
/// unknown path and 405 for a known path with another method, sets `sent` to it and returns null.
template <class Route>
const Route* find_route(mg_connection* conn, const std::string& method, const std::string& uri,
                        const std::vector<Route>& table, int& sent) {
  const auto segs = split_path(uri);
  const Route* found = nullptr;
  bool path_known = false;
  for (const auto& rt : table)
    if (route_matches(rt.pattern, segs)) {
      path_known = true;
      if (rt.method == method) found = &rt;
    }
  if (!found && path_known)
    sent = send_error(conn, {405, "method_not_allowed", method + " is not allowed on " + uri, uri});
  else if (!found)
    sent = send_error(conn, {404, "not_found", "no such endpoint: " + uri, uri});
  return found;
}

/// Admits a request to a route needing `access`: body size (PUT bodies up to 64 KiB, others 8 KiB),
/// then bearer token, else session cookie, then role and CSRF. Fills `who` (also for open routes
/// when credentials came). Returns 0 when the request may go on, else the HTTP status it sent.
int admit(mg_connection* conn, const std::string& method, const std::string& uri, auth::Access access,
          const FrontOptions& options, std::optional<auth::Principal>& who, const AuditFn& audit);

/// `POST /api/login` (`{"name", "password"}` as JSON): throttled per account and address, audited,
/// sets the session and CSRF cookies. Returns the HTTP status sent; `who` is the new session's.
int login(mg_connection* conn, const std::string& address, auth::LoginThrottle& throttle, const FrontOptions& options,
          std::optional<auth::Principal>& who, const AuditFn& audit);

/// `GET /api/audit?cursor=&limit=`: a page of the audit log (oldest first; `next_cursor` while
/// more follow), itself audited as `read_audit`. Returns the HTTP status sent.
int audit_page(mg_connection* conn, auth::AuthStore& store, const std::optional<auth::Principal>& who,
               const AuditFn& audit);

/// `GET /api/me`: who is asking and how (`open`, `session` or `token`), and the server's `kind`.
int me(mg_connection* conn, const auth::Principal& who, const std::string& kind);

/// `POST /api/logout`: ends the cookie's session and clears the cookies. Returns the status sent.
int logout(mg_connection* conn, const FrontOptions& options, const std::optional<auth::Principal>& who,
           const AuditFn& audit);

}  // namespace vsp::api
