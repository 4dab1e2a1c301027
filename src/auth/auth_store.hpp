#pragma once
/// Accounts, API tokens, sessions and the audit log. On the node they live in its SQLite file
/// (`<storage>/vsp.db`), through a connection of its own: the `vsp user`/`vsp token`/`vsp audit`
/// commands use it while the node runs. Tables are prefixed `auth_`/`audit_` and created here (the
/// store's numbered migrations do not know them). On the center the same tables live in PostgreSQL
/// (`center/pg_auth_store.hpp`). Secrets are stored hashed: passwords with argon2id, tokens and
/// session ids with SHA-256. Thread-safe.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/audit_chain.hpp"
#include "auth/role.hpp"
#include "core/result.hpp"

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

/// Accounts, tokens, sessions and the audit log behind one interface with two backends: SQLite
/// on the node (`open`, below) and PostgreSQL on the center (`center::PgAuthStore`). The policy
/// (name and password rules, argon2id, token and session formats, expiry, the audit chain) lives
/// here once; a backend only stores and finds rows.
class AuthStore {
 public:
  /// The node's store: opens (creating) the SQLite file and the auth tables.
  static core::Result<std::unique_ptr<AuthStore>> open(const std::string& db_path);
  virtual ~AuthStore() = default;
  AuthStore(const AuthStore&) = delete;
  AuthStore& operator=(const AuthStore&) = delete;

  // ---- users
  core::Status add_user(const std::string& name, Role role, std::string_view password, std::int64_t now_ms);
  /// A new password ends every session of the user.
  core::Status set_password(const std::string& name, std::string_view password);
  /// Disabling ends every session of the user.
  virtual core::Status set_disabled(const std::string& name, bool disabled) = 0;
  virtual std::vector<User> users() = 0;
  /// Enabled users only; false for none.
  virtual bool has_users() = 0;
  /// The user when the name exists, is enabled and the password matches.
  std::optional<User> check_password(const std::string& name, std::string_view password);

  // ---- API tokens: "vsp_<id>_<secret>"
  core::Result<NewToken> create_token(Role role, const std::string& label, std::int64_t now_ms,
                                      std::int64_t expires_ms);
  virtual core::Status revoke_token(const std::string& id, std::int64_t now_ms) = 0;
  virtual std::vector<TokenInfo> tokens() = 0;
  std::optional<Principal> authenticate_token(const std::string& token, std::int64_t now_ms);

  // ---- sessions
  core::Result<NewSession> create_session(const User& user, std::int64_t now_ms, std::int64_t ttl_ms);
  std::optional<Principal> authenticate_session(const std::string& id, std::int64_t now_ms);
  void end_session(const std::string& id);

  // ---- audit log (append-only; UPDATE and DELETE are refused by triggers)
  /// Fills seq, prev_hash and hash (`chain_audit_record`); safe across threads and processes (one
  /// appender at a time per store: SQLite's BEGIN IMMEDIATE, PostgreSQL's locked chain head).
  virtual core::Result<AuditRecord> append_audit(AuditRecord r) = 0;
  /// Records with seq > after_seq, oldest first, at most `limit` (0 = all).
  virtual std::vector<AuditRecord> audit(std::int64_t after_seq = 0, int limit = 0) = 0;
  /// Retention: deletes the records written before `before_ms` (oldest first, a prefix of the
  /// chain) and keeps the last deleted record's seq and hash in `audit_pruned`, the anchor the
  /// rest of the chain is verified from. Returns how many were deleted.
  virtual core::Result<std::int64_t> prune_audit(std::int64_t before_ms, std::int64_t now_ms) = 0;
  /// Where the stored chain starts (see prune_audit).
  virtual AuditAnchor audit_anchor() = 0;
  /// The last record as the store's chain-head row names it, where the backend keeps one
  /// (PostgreSQL); verification then also catches records cut from the end.
  virtual std::optional<AuditHead> audit_head() { return std::nullopt; }

 protected:
  AuthStore() = default;
  struct StoredUser {
    User user;
    std::string password_hash;
  };
  // A backend's rows. Secrets arrive hashed (argon2id for passwords, SHA-256 hex for tokens and
  // session ids); the backend never sees one in the clear.
  /// Error `user_exists` when the name is taken.
  virtual core::Status insert_user(const std::string& name, Role role, const std::string& password_hash,
                                   std::int64_t now_ms) = 0;
  /// Error `unknown_user`; ends the user's sessions.
  virtual core::Status update_password_hash(const std::string& name, const std::string& password_hash) = 0;
  virtual std::optional<StoredUser> find_user(const std::string& name) = 0;
  virtual core::Status insert_token(const TokenInfo& t, const std::string& token_sha256) = 0;
  virtual std::optional<TokenInfo> find_token(const std::string& token_sha256) = 0;
  /// Also deletes the sessions expired at `now_ms`.
  virtual core::Status insert_session(const std::string& id_sha256, const std::string& user, const std::string& csrf,
                                      std::int64_t now_ms, std::int64_t expires_ms) = 0;
  /// The session's user (enabled, role read now) when it has not expired at `now_ms`.
  virtual std::optional<Principal> find_session(const std::string& id_sha256, std::int64_t now_ms) = 0;
  virtual void delete_session(const std::string& id_sha256) = 0;
};

/// True for a valid account name: 1-64 letters, digits, _ - . @.
bool valid_user_name(const std::string& name);

/// Writes an HTTP request's audit record (node and center alike): who (or "-"), role, address,
/// action, target, result, reason. Repeated redacted reads — the same search (`search_*`), a
/// blurred `snapshot` or `heatmap` that succeeded — are logged once a minute per user, address,
/// action and target (a page polling, the live grid refreshing); unmasking, changes and failures
/// every time.
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
