#pragma once
/// Accounts, API tokens, sessions and the audit log in the node's SQLite file (`<storage>/vsp.db`),
/// through a connection of its own: the `vsp user`/`vsp token`/`vsp audit` commands use it while
/// the node runs. Tables are prefixed `auth_`/`audit_` and created here (the store's numbered
/// migrations do not know them). Secrets are stored hashed: passwords with argon2id, tokens and
/// session ids with SHA-256. Thread-safe.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit_chain.hpp"
#include "auth/role.hpp"
#include "core/result.hpp"

struct sqlite3;

namespace vsp::auth {

struct User {
  std::string name;
  Role role = Role::viewer;
  bool disabled = false;
  std::int64_t created_ms = 0;
};

struct TokenInfo {
  std::string id;  ///< public id (the part of the token before the secret), used to revoke
  Role role = Role::viewer;
  std::string label;
  std::int64_t created_ms = 0, expires_ms = 0;  ///< expires_ms 0 = never
  bool revoked = false;
};

/// Who a request runs as.
struct Principal {
  std::string name;  ///< user name, or "token:<id>"
  Role role = Role::viewer;
  std::string csrf;  ///< set for sessions: the value state-changing requests must echo
  bool session = false;
};

struct NewToken {
  std::string id;
  std::string secret;  ///< the whole token, shown once
};

struct NewSession {
  std::string id;  ///< cookie value, shown once
  std::string csrf;
  std::int64_t expires_ms = 0;
};

class AuthStore {
 public:
  /// Opens (creating) the database file and the auth tables.
  static core::Result<std::unique_ptr<AuthStore>> open(const std::string& db_path);
  ~AuthStore();
  AuthStore(const AuthStore&) = delete;
  AuthStore& operator=(const AuthStore&) = delete;

  // ---- users
  core::Status add_user(const std::string& name, Role role, std::string_view password, std::int64_t now_ms);
  core::Status set_password(const std::string& name, std::string_view password);
  core::Status set_disabled(const std::string& name, bool disabled);
  std::vector<User> users();
  /// Enabled users only; false for none.
  bool has_users();
  /// The user when the name exists, is enabled and the password matches.
  std::optional<User> check_password(const std::string& name, std::string_view password);

  // ---- API tokens: "vsp_<id>_<secret>"
  core::Result<NewToken> create_token(Role role, const std::string& label, std::int64_t now_ms,
                                      std::int64_t expires_ms);
  core::Status revoke_token(const std::string& id, std::int64_t now_ms);
  std::vector<TokenInfo> tokens();
  std::optional<Principal> authenticate_token(const std::string& token, std::int64_t now_ms);

  // ---- sessions
  core::Result<NewSession> create_session(const User& user, std::int64_t now_ms, std::int64_t ttl_ms);
  std::optional<Principal> authenticate_session(const std::string& id, std::int64_t now_ms);
  void end_session(const std::string& id);

  // ---- audit log (append-only; UPDATE and DELETE are refused by triggers)
  /// Fills seq, prev_hash and hash; safe across processes (BEGIN IMMEDIATE).
  core::Result<AuditRecord> append_audit(AuditRecord r);
  /// Records with seq > after_seq, oldest first, at most `limit` (0 = all).
  std::vector<AuditRecord> audit(std::int64_t after_seq = 0, int limit = 0);
  /// Retention: deletes the records written before `before_ms` (oldest first, a prefix of the
  /// chain) and keeps the last deleted record's seq and hash in `audit_pruned`, the anchor the
  /// rest of the chain is verified from. Returns how many were deleted.
  core::Result<std::int64_t> prune_audit(std::int64_t before_ms, std::int64_t now_ms);
  /// Where the stored chain starts (see prune_audit).
  AuditAnchor audit_anchor();

 private:
  explicit AuthStore(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::mutex m_;
};

/// Writes an HTTP request's audit record (node and center alike): who (or "-"), role, address,
/// action, target, result, reason. A page polling the same search (`search_*` action) is logged
/// once a minute per user, address and query.
class RequestAuditor {
 public:
  explicit RequestAuditor(AuthStore* store) : store_(store) {}
  core::Status record(const std::optional<Principal>& who, const std::string& address, const std::string& action,
                      const std::string& target, const std::string& result, const std::string& reason,
                      std::int64_t now_ms);

 private:
  AuthStore* store_;
  std::mutex m_;
  std::map<std::string, std::int64_t> recent_searches_;
};

}  // namespace vsp::auth
