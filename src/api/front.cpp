#include "api/front.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "auth/secrets.hpp"
#include "core/clock.hpp"
#include "events/event.hpp"

namespace vsp::api {

using nlohmann::json;

namespace {

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

std::string cookie_attributes(const FrontOptions& o) { return o.secure_cookies ? "; Secure" : ""; }

}  // namespace

void send(mg_connection* c, int status, const std::string& type, const std::string& body,
          const std::string& extra_headers) {
  mg_printf(c,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
            "X-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n%s\r\n",
            status, reason_phrase(status), type.c_str(), body.size(), extra_headers.c_str());
  mg_write(c, body.data(), body.size());
}

void send_json(mg_connection* c, int status, const json& j, const std::string& extra_headers) {
  send(c, status, "application/json", j.dump() + "\n", extra_headers);
}

int send_error(mg_connection* c, const HttpError& e, const std::string& extra_headers) {
  send_json(c, e.status, {{"code", e.code}, {"message", e.message}, {"path", e.path}}, extra_headers);
  return e.status;
}

std::string read_body(mg_connection* c, size_t max) {
  std::string body(max, '\0');
  size_t got = 0;
  for (int n; got < body.size() && (n = mg_read(c, body.data() + got, body.size() - got)) > 0;)
    got += static_cast<size_t>(n);
  body.resize(got);
  return body;
}

std::string cookie(const char* header, const char* name) {
  if (!header) return {};
  char buf[256];
  const int n = mg_get_cookie(header, name, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

int admit(mg_connection* conn, const std::string& method, const std::string& uri, auth::Access access,
          const FrontOptions& o, std::optional<auth::Principal>& who, const AuditFn& audit) {
  const mg_request_info* ri = mg_get_request_info(conn);
  const long long max_body = method == "PUT" ? 65536 : 8192;  // a camera's rules may be longer than a login
  if (ri->content_length > max_body)
    return send_error(conn,
                      {413, "too_large", fmt::format("request bodies are limited to {} KiB", max_body / 1024), uri});

  // Bearer token, else session cookie; open only on a loopback server without users.
  const std::int64_t now = core::wall_clock_ms();
  const std::string challenge = fmt::format("WWW-Authenticate: Bearer realm=\"{}\"\r\n", o.realm);
  const char* authz = mg_get_header(conn, "Authorization");
  const std::string session_id = cookie(mg_get_header(conn, "Cookie"), "vsp_session");
  const std::string bearer = "Bearer ";
  if (authz) {
    const std::string a = authz;
    if (a.rfind(bearer, 0) == 0) who = o.store->authenticate_token(a.substr(bearer.size()), now);
    if (!who)
      return send_error(conn, {401, "bad_token", "the bearer token is unknown, expired or revoked", "Authorization"},
                        challenge);
  } else if (!session_id.empty()) {
    who = o.store->authenticate_session(session_id, now);
  }
  if (!who && o.open_without_users && !o.store->has_users()) who = auth::Principal{"-", auth::Role::admin, "", false};
  if (access == auth::Access::open) return 0;
  if (!who)
    return send_error(conn,
                      {401, session_id.empty() ? "unauthenticated" : "session_expired",
                       "log in (POST /api/login) or send Authorization: Bearer <token>", ""},
                      challenge);
  if (!auth::allows(who->role, access)) {
    audit(who, "denied", uri, "denied");
    return send_error(
        conn, {403, "forbidden", fmt::format("role {} may not {} {}", auth::role_name(who->role), method, uri), ""});
  }
  // CSRF: a state-changing request riding on a session cookie must echo the session's token.
  if (method != "GET" && who->session) {
    const char* h = mg_get_header(conn, "X-CSRF-Token");
    if (!h || !auth::equal_constant_time(h, who->csrf))
      return send_error(conn, {403, "csrf", "missing or wrong X-CSRF-Token header", "X-CSRF-Token"});
  }
  return 0;
}

int login(mg_connection* conn, const std::string& address, auth::LoginThrottle& throttle, const FrontOptions& o,
          std::optional<auth::Principal>& who, const AuditFn& audit) {
  const char* ct = mg_get_header(conn, "Content-Type");
  if (!ct || std::string(ct).rfind("application/json", 0) != 0)
    return send_error(conn, {415, "bad_content_type", "send the login as application/json", "Content-Type"});
  const json j = json::parse(read_body(conn, 8192), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("name") || !j.contains("password") || !j["name"].is_string() ||
      !j["password"].is_string())
    return send_error(conn, {400, "bad_login", "expected {\"name\": ..., \"password\": ...}", "body"});
  const std::string name = j["name"], password = j["password"];
  who.reset();  // not anyone yet: failed and locked attempts are audited as "-" with the name as target
  const std::int64_t now = core::wall_clock_ms();
  if (const auto wait_ms = throttle.retry_after_ms(name, address, now); wait_ms > 0) {
    throttle.failed(name, address, now);  // attempts while locked keep it locked
    audit(who, "login", name, "locked");
    const auto wait_s = (wait_ms + 999) / 1000;
    return send_error(conn,
                      {429, "login_locked",
                       fmt::format("too many failed logins for this account or address; retry in {} s", wait_s), ""},
                      fmt::format("Retry-After: {}\r\n", wait_s));
  }
  auto user = o.store->check_password(name, password);
  if (!user) {
    throttle.failed(name, address, now);
    audit(who, "login", name, "failed");
    return send_error(conn, {401, "bad_credentials", "wrong name or password", ""});
  }
  throttle.succeeded(name);
  auto s = o.store->create_session(*user, now, o.session_ttl_ms);
  if (!s) return send_error(conn, {500, s.error().code, s.error().message, ""});
  who = auth::Principal{user->name, user->role, s->csrf, true};
  audit(who, "login", name, "ok");
  const std::int64_t max_age = o.session_ttl_ms / 1000;
  const std::string headers = fmt::format(
      "Set-Cookie: vsp_session={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}\r\n"
      "Set-Cookie: vsp_csrf={}; Path=/; Max-Age={}; SameSite=Strict{}\r\n",
      s->id, max_age, cookie_attributes(o), s->csrf, max_age, cookie_attributes(o));
  send_json(conn, 200,
            {{"name", user->name},
             {"role", auth::role_name(user->role)},
             {"csrf", s->csrf},
             {"expires", events::format_rfc3339_ms(s->expires_ms)}},
            headers);
  return 200;
}

int audit_page(mg_connection* conn, auth::AuthStore& store, const std::optional<auth::Principal>& who,
               const AuditFn& audit) {
  const Query q(mg_get_request_info(conn));
  std::optional<HttpError> err;
  q.only({"cursor", "limit"}, err);
  std::int64_t after = 0;
  const int limit = q.integer("limit", 1, 1000, err).value_or(100);
  if (auto c = q.opt("cursor")) try {
      size_t used = 0;
      after = std::stoll(*c, &used);
      if (used != c->size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      if (!err) err = HttpError{400, "bad_cursor", "cursor: not one returned by this API", "cursor"};
    }
  if (err) return send_error(conn, *err);
  audit(who, "read_audit", q.opt("cursor").value_or(""), "ok");
  json recs = json::array();
  const auto rows = store.audit(after, limit);
  for (const auto& a : rows)
    recs.push_back({{"seq", a.seq},
                    {"time", events::format_rfc3339_ms(a.ts_ms)},
                    {"user", a.user},
                    {"role", a.role},
                    {"address", a.address},
                    {"action", a.action},
                    {"target", a.target},
                    {"reason", a.reason},
                    {"result", a.result},
                    {"prev_hash", a.prev_hash},
                    {"hash", a.hash}});
  json body = {{"records", recs}};
  if (static_cast<int>(rows.size()) == limit) body["next_cursor"] = std::to_string(rows.back().seq);
  send_json(conn, 200, body);
  return 200;
}

int me(mg_connection* conn, const auth::Principal& who, const std::string& kind) {
  send_json(conn, 200,
            {{"name", who.name},
             {"role", auth::role_name(who.role)},
             {"auth", who.name == "-" ? "open"
                      : who.session   ? "session"
                                      : "token"},
             {"kind", kind}});
  return 200;
}

int logout(mg_connection* conn, const FrontOptions& o, const std::optional<auth::Principal>& who,
           const AuditFn& audit) {
  const std::string sid = cookie(mg_get_header(conn, "Cookie"), "vsp_session");
  if (!sid.empty()) o.store->end_session(sid);
  audit(who, "logout", who ? who->name : "-", "ok");
  send_json(conn, 200, {{"status", "logged_out"}},
            "Set-Cookie: vsp_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict\r\n"
            "Set-Cookie: vsp_csrf=; Path=/; Max-Age=0; SameSite=Strict\r\n");
  return 200;
}

}  // namespace vsp::api
