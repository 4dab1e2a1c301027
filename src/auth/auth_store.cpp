#include "auth/auth_store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include "auth/secrets.hpp"
#include "core/log.hpp"
#include "store/sqlite.hpp"

namespace vsp::auth {

using core::make_error;

namespace {

const char* const kSchema = R"(
CREATE TABLE IF NOT EXISTS auth_users(name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
                                      disabled INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS auth_tokens(id TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
                                       label TEXT NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,
                                       revoked_ms INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS auth_sessions(id_sha256 TEXT PRIMARY KEY, user TEXT NOT NULL, csrf TEXT NOT NULL,
                                         created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit_log(seq INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, user TEXT NOT NULL,
                                     role TEXT NOT NULL, address TEXT NOT NULL, action TEXT NOT NULL,
                                     target TEXT NOT NULL, reason TEXT NOT NULL, result TEXT NOT NULL,
                                     prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS audit_pruned(up_to_seq INTEGER PRIMARY KEY, last_hash TEXT NOT NULL,
                                        before_ms INTEGER NOT NULL, pruned_ms INTEGER NOT NULL);
DROP TRIGGER IF EXISTS audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  WHEN OLD.seq > (SELECT COALESCE(MAX(up_to_seq), 0) FROM audit_pruned)
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only (retention cuts only below its recorded anchor)'); END;
CREATE TRIGGER IF NOT EXISTS audit_pruned_no_update BEFORE UPDATE ON audit_pruned
  BEGIN SELECT RAISE(ABORT, 'audit_pruned is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_pruned_no_delete BEFORE DELETE ON audit_pruned
  BEGIN SELECT RAISE(ABORT, 'audit_pruned is append-only'); END;
)";

using sqlite::exec;
using sqlite::Stmt;

Role role_or_viewer(const std::string& s) { return parse_role(s).value_or(Role::viewer); }

/// The node's backend: one SQLite connection (FULLMUTEX) guarded by a mutex for multi-statement
/// work; other processes (the CLI while the node runs) are serialised by SQLite's locks.
class SqliteAuthStore final : public AuthStore {
 public:
  explicit SqliteAuthStore(sqlite3* db) : db_(db) {}
  ~SqliteAuthStore() override { sqlite3_close(db_); }
  core::Status set_disabled(const std::string& name, bool disabled) override;
  std::vector<User> users() override;
  bool has_users() override;
  core::Status revoke_token(const std::string& id, std::int64_t now_ms) override;
  std::vector<TokenInfo> tokens() override;
  core::Result<AuditRecord> append_audit(AuditRecord r) override;
  std::vector<AuditRecord> audit(std::int64_t after_seq, int limit) override;
  core::Result<std::int64_t> prune_audit(std::int64_t before_ms, std::int64_t now_ms) override;
  AuditAnchor audit_anchor() override;

 protected:
  core::Status insert_user(const std::string& name, Role role, const std::string& password_hash,
                           std::int64_t now_ms) override;
  core::Status update_password_hash(const std::string& name, const std::string& password_hash) override;
  std::optional<StoredUser> find_user(const std::string& name) override;
  core::Status insert_token(const TokenInfo& t, const std::string& token_sha256) override;
  std::optional<TokenInfo> find_token(const std::string& token_sha256) override;
  core::Status insert_session(const std::string& id_sha256, const std::string& user, const std::string& csrf,
                              std::int64_t now_ms, std::int64_t expires_ms) override;
  std::optional<Principal> find_session(const std::string& id_sha256, std::int64_t now_ms) override;
  void delete_session(const std::string& id_sha256) override;

 private:
  sqlite3* db_;
  std::mutex m_;
};

}  // namespace

bool valid_user_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '@')) return false;
  return true;
}

core::Result<std::unique_ptr<AuthStore>> AuthStore::open(const std::string& db_path) {
  if (!crypto_ready()) return make_error("crypto_unavailable", "libsodium failed to initialise");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    auto e = make_error("db_open_failed", fmt::format("{}: {}", db_path, db ? sqlite3_errmsg(db) : "cannot open"));
    sqlite3_close(db);
    return e;
  }
  std::unique_ptr<AuthStore> s = std::make_unique<SqliteAuthStore>(db);
  sqlite3_busy_timeout(db, 5000);
  exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  if (!exec(db, "BEGIN IMMEDIATE") || !exec(db, kSchema) || !exec(db, "COMMIT"))
    return make_error("db_schema_failed", fmt::format("{}: cannot create the account tables", db_path));
  return s;
}

// ---- Policy, shared by every backend ---------------------------------------------------------------

core::Status AuthStore::add_user(const std::string& name, Role role, std::string_view password, std::int64_t now_ms) {
  if (!valid_user_name(name))
    return make_error("bad_name", fmt::format("user name '{}': use 1-64 letters, digits, _ - . @", name), "name");
  if (password.size() < 8) return make_error("weak_password", "a password needs at least 8 characters", "password");
  auto h = hash_password(password);
  if (!h) return h.error();
  return insert_user(name, role, *h, now_ms);
}

core::Status AuthStore::set_password(const std::string& name, std::string_view password) {
  if (password.size() < 8) return make_error("weak_password", "a password needs at least 8 characters", "password");
  auto h = hash_password(password);
  if (!h) return h.error();
  return update_password_hash(name, *h);
}

std::optional<User> AuthStore::check_password(const std::string& name, std::string_view password) {
  auto found = find_user(name);
  // Unknown users cost the same argon2id work as known ones: the answer's timing names no accounts.
  static const std::string kDummy = hash_password("not-a-password-0").value();
  const bool match = verify_password(password, found ? found->password_hash : kDummy);
  if (!found || !match || found->user.disabled) return std::nullopt;
  return found->user;
}

core::Result<NewToken> AuthStore::create_token(Role role, const std::string& label, std::int64_t now_ms,
                                               std::int64_t expires_ms) {
  NewToken t;
  t.id = random_hex(6);
  t.secret = fmt::format("vsp_{}_{}", t.id, random_hex(24));
  if (auto st = insert_token(TokenInfo{t.id, role, label, now_ms, expires_ms, false}, sha256_hex(t.secret)); !st)
    return st.error();
  return t;
}

std::optional<Principal> AuthStore::authenticate_token(const std::string& token, std::int64_t now_ms) {
  if (token.size() > 200 || token.rfind("vsp_", 0) != 0) return std::nullopt;
  auto t = find_token(sha256_hex(token));
  if (!t || t->revoked || (t->expires_ms != 0 && now_ms >= t->expires_ms)) return std::nullopt;
  return Principal{"token:" + t->id, t->role, "", false};
}

core::Result<NewSession> AuthStore::create_session(const User& user, std::int64_t now_ms, std::int64_t ttl_ms) {
  NewSession s{random_hex(32), random_hex(16), now_ms + ttl_ms};
  if (auto st = insert_session(sha256_hex(s.id), user.name, s.csrf, now_ms, s.expires_ms); !st) return st.error();
  return s;
}

std::optional<Principal> AuthStore::authenticate_session(const std::string& id, std::int64_t now_ms) {
  if (id.size() != 64) return std::nullopt;
  return find_session(sha256_hex(id), now_ms);
}

void AuthStore::end_session(const std::string& id) { delete_session(sha256_hex(id)); }

// ---- SQLite ----------------------------------------------------------------------------------------

core::Status SqliteAuthStore::insert_user(const std::string& name, Role role, const std::string& password_hash,
                                          std::int64_t now_ms) {
  std::lock_guard lk(m_);
  Stmt st(db_, "INSERT INTO auth_users(name, role, password_hash, created_ms) VALUES(?,?,?,?)");
  st.bind(1, name).bind(2, std::string(role_name(role))).bind(3, password_hash).bind(4, now_ms);
  if (!st.done()) return make_error("user_exists", fmt::format("user '{}' already exists", name), "name");
  return core::Ok{};
}

core::Status SqliteAuthStore::update_password_hash(const std::string& name, const std::string& password_hash) {
  std::lock_guard lk(m_);
  Stmt st(db_, "UPDATE auth_users SET password_hash = ? WHERE name = ?");
  st.bind(1, password_hash).bind(2, name);
  if (!st.done() || sqlite3_changes(db_) != 1)
    return make_error("unknown_user", fmt::format("no user named '{}'", name), "name");
  Stmt end(db_, "DELETE FROM auth_sessions WHERE user = ?");  // a new password ends every session
  end.bind(1, name).done();
  return core::Ok{};
}

core::Status SqliteAuthStore::set_disabled(const std::string& name, bool disabled) {
  std::lock_guard lk(m_);
  Stmt st(db_, "UPDATE auth_users SET disabled = ? WHERE name = ?");
  st.bind(1, std::int64_t{disabled}).bind(2, name);
  if (!st.done() || sqlite3_changes(db_) != 1)
    return make_error("unknown_user", fmt::format("no user named '{}'", name), "name");
  if (disabled) {
    Stmt end(db_, "DELETE FROM auth_sessions WHERE user = ?");
    end.bind(1, name).done();
  }
  return core::Ok{};
}

std::vector<User> SqliteAuthStore::users() {
  std::lock_guard lk(m_);
  std::vector<User> out;
  Stmt st(db_, "SELECT name, role, disabled, created_ms FROM auth_users ORDER BY name");
  while (st.step()) out.push_back(User{st.text(0), role_or_viewer(st.text(1)), st.i64(2) != 0, st.i64(3)});
  return out;
}

bool SqliteAuthStore::has_users() {
  std::lock_guard lk(m_);
  Stmt st(db_, "SELECT 1 FROM auth_users WHERE disabled = 0 LIMIT 1");
  return st.step();
}

std::optional<AuthStore::StoredUser> SqliteAuthStore::find_user(const std::string& name) {
  std::lock_guard lk(m_);
  Stmt st(db_, "SELECT name, role, disabled, created_ms, password_hash FROM auth_users WHERE name = ?");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return StoredUser{User{st.text(0), role_or_viewer(st.text(1)), st.i64(2) != 0, st.i64(3)}, st.text(4)};
}

core::Status SqliteAuthStore::insert_token(const TokenInfo& t, const std::string& token_sha256) {
  std::lock_guard lk(m_);
  Stmt st(db_, "INSERT INTO auth_tokens(id, token_sha256, role, label, created_ms, expires_ms) VALUES(?,?,?,?,?,?)");
  st.bind(1, t.id).bind(2, token_sha256).bind(3, std::string(role_name(t.role))).bind(4, t.label);
  st.bind(5, t.created_ms).bind(6, t.expires_ms);
  if (!st.done()) return make_error("db_write_failed", "cannot store the token");
  return core::Ok{};
}

core::Status SqliteAuthStore::revoke_token(const std::string& id, std::int64_t now_ms) {
  std::lock_guard lk(m_);
  Stmt st(db_, "UPDATE auth_tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms = 0");
  st.bind(1, now_ms).bind(2, id);
  if (!st.done() || sqlite3_changes(db_) != 1)
    return make_error("unknown_token", fmt::format("no active token with id '{}'", id), "id");
  return core::Ok{};
}

std::vector<TokenInfo> SqliteAuthStore::tokens() {
  std::lock_guard lk(m_);
  std::vector<TokenInfo> out;
  Stmt st(db_, "SELECT id, role, label, created_ms, expires_ms, revoked_ms FROM auth_tokens ORDER BY created_ms");
  while (st.step())
    out.push_back(TokenInfo{st.text(0), role_or_viewer(st.text(1)), st.text(2), st.i64(3), st.i64(4), st.i64(5) != 0});
  return out;
}

std::optional<TokenInfo> SqliteAuthStore::find_token(const std::string& token_sha256) {
  std::lock_guard lk(m_);
  Stmt st(db_, "SELECT id, role, label, created_ms, expires_ms, revoked_ms FROM auth_tokens WHERE token_sha256 = ?");
  st.bind(1, token_sha256);
  if (!st.step()) return std::nullopt;
  return TokenInfo{st.text(0), role_or_viewer(st.text(1)), st.text(2), st.i64(3), st.i64(4), st.i64(5) != 0};
}

core::Status SqliteAuthStore::insert_session(const std::string& id_sha256, const std::string& user,
                                             const std::string& csrf, std::int64_t now_ms, std::int64_t expires_ms) {
  std::lock_guard lk(m_);
  Stmt gc(db_, "DELETE FROM auth_sessions WHERE expires_ms <= ?");
  gc.bind(1, now_ms).done();
  Stmt st(db_, "INSERT INTO auth_sessions(id_sha256, user, csrf, created_ms, expires_ms) VALUES(?,?,?,?,?)");
  st.bind(1, id_sha256).bind(2, user).bind(3, csrf).bind(4, now_ms).bind(5, expires_ms);
  if (!st.done()) return make_error("db_write_failed", "cannot store the session");
  return core::Ok{};
}

std::optional<Principal> SqliteAuthStore::find_session(const std::string& id_sha256, std::int64_t now_ms) {
  std::lock_guard lk(m_);
  // The role is read from the user row each time: a role change or disable takes effect at once.
  Stmt st(db_,
          "SELECT u.name, u.role, s.csrf FROM auth_sessions s JOIN auth_users u ON u.name = s.user "
          "WHERE s.id_sha256 = ? AND s.expires_ms > ? AND u.disabled = 0");
  st.bind(1, id_sha256).bind(2, now_ms);
  if (!st.step()) return std::nullopt;
  return Principal{st.text(0), role_or_viewer(st.text(1)), st.text(2), true};
}

void SqliteAuthStore::delete_session(const std::string& id_sha256) {
  std::lock_guard lk(m_);
  Stmt st(db_, "DELETE FROM auth_sessions WHERE id_sha256 = ?");
  st.bind(1, id_sha256).done();
}

core::Result<AuditRecord> SqliteAuthStore::append_audit(AuditRecord r) {
  std::lock_guard lk(m_);
  if (!exec(db_, "BEGIN IMMEDIATE")) return make_error("audit_write_failed", "cannot lock the audit log");
  {
    // The last record; when retention cut every record, the anchor it kept.
    Stmt last(db_,
              "SELECT seq, hash FROM audit_log UNION ALL SELECT up_to_seq, last_hash FROM audit_pruned "
              "ORDER BY 1 DESC LIMIT 1");
    const bool any = last.step();
    r = chain_audit_record(std::move(r), any ? last.i64(0) : 0, any ? last.text(1) : std::string(kAuditGenesis));
    Stmt st(db_,
            "INSERT INTO audit_log(seq, ts_ms, user, role, address, action, target, reason, result, prev_hash, hash) "
            "VALUES(?,?,?,?,?,?,?,?,?,?,?)");
    st.bind(1, r.seq).bind(2, r.ts_ms).bind(3, r.user).bind(4, r.role).bind(5, r.address).bind(6, r.action);
    st.bind(7, r.target).bind(8, r.reason).bind(9, r.result).bind(10, r.prev_hash).bind(11, r.hash);
    if (!st.done()) {
      exec(db_, "ROLLBACK");
      return make_error("audit_write_failed", "cannot append to the audit log");
    }
  }
  if (!exec(db_, "COMMIT")) {
    exec(db_, "ROLLBACK");
    return make_error("audit_write_failed", "cannot commit the audit record");
  }
  return r;
}

std::vector<AuditRecord> SqliteAuthStore::audit(std::int64_t after_seq, int limit) {
  std::lock_guard lk(m_);
  std::vector<AuditRecord> out;
  Stmt st(db_,
          "SELECT seq, ts_ms, user, role, address, action, target, reason, result, prev_hash, hash FROM audit_log "
          "WHERE seq > ? ORDER BY seq LIMIT ?");
  st.bind(1, after_seq).bind(2, limit > 0 ? std::int64_t{limit} : std::int64_t{-1});
  while (st.step())
    out.push_back(AuditRecord{st.i64(0), st.i64(1), st.text(2), st.text(3), st.text(4), st.text(5), st.text(6),
                              st.text(7), st.text(8), st.text(9), st.text(10)});
  return out;
}

core::Result<std::int64_t> SqliteAuthStore::prune_audit(std::int64_t before_ms, std::int64_t now_ms) {
  std::lock_guard lk(m_);
  if (!exec(db_, "BEGIN IMMEDIATE")) return make_error("audit_prune_failed", "cannot lock the audit log");
  auto fail = [&](const char* what) {
    exec(db_, "ROLLBACK");
    return make_error("audit_prune_failed", fmt::format("audit retention: {}: {}", what, sqlite3_errmsg(db_)));
  };
  // The records to cut are a prefix of the chain: up to the last one written before the cutoff
  // with nothing newer before it (times can step back with the clock; the cut never skips over one).
  std::int64_t up_to = 0;
  std::string last_hash;
  {
    Stmt st(db_,
            "SELECT seq, hash FROM audit_log WHERE seq < COALESCE((SELECT MIN(seq) FROM audit_log WHERE ts_ms >= ?), "
            "(SELECT MAX(seq) + 1 FROM audit_log)) ORDER BY seq DESC LIMIT 1");
    st.bind(1, before_ms);
    if (!st.step()) {
      exec(db_, "ROLLBACK");
      return std::int64_t{0};
    }
    up_to = st.i64(0);
    last_hash = st.text(1);
  }
  {
    Stmt anchor(db_, "INSERT INTO audit_pruned(up_to_seq, last_hash, before_ms, pruned_ms) VALUES(?,?,?,?)");
    anchor.bind(1, up_to).bind(2, last_hash).bind(3, before_ms).bind(4, now_ms);
    if (!anchor.done()) return fail("cannot record the anchor");
  }
  Stmt del(db_, "DELETE FROM audit_log WHERE seq <= ?");
  del.bind(1, up_to);
  if (!del.done()) return fail("cannot delete");
  const std::int64_t n = sqlite3_changes(db_);
  if (!exec(db_, "COMMIT")) return fail("cannot commit");
  return n;
}

AuditAnchor SqliteAuthStore::audit_anchor() {
  std::lock_guard lk(m_);
  Stmt st(db_, "SELECT up_to_seq, last_hash FROM audit_pruned ORDER BY up_to_seq DESC LIMIT 1");
  if (!st.step()) return {};
  return AuditAnchor{st.i64(0) + 1, st.text(1)};
}

core::Status RequestAuditor::record(const std::optional<Principal>& who, const std::string& address,
                                    const std::string& action, const std::string& target, const std::string& result,
                                    const std::string& reason, std::int64_t now_ms) {
  const std::string user = who ? who->name : "-";
  // Repeated redacted reads (a page polling a search, the live grid refreshing a blurred snapshot
  // or heat map) are logged once a minute per user, address, action and target; anything that
  // unmasks, changes or fails is logged every time.
  const bool repeatable = action.rfind("search_", 0) == 0 ||
                          ((action == "snapshot" || action == "heatmap") && result == "ok" && reason.empty());
  if (repeatable) {
    std::lock_guard lk(m_);
    const std::string key = user + '\x1f' + address + '\x1f' + action + '\x1f' + target;
    auto [it, fresh] = recent_searches_.emplace(key, now_ms);
    if (!fresh && now_ms - it->second < 60'000) return core::Ok{};
    it->second = now_ms;
    if (recent_searches_.size() > 10'000) recent_searches_.clear();
  }
  AuditRecord rec;
  rec.ts_ms = now_ms;
  rec.user = user;
  rec.role = who ? std::string(role_name(who->role)) : "-";
  rec.address = address;
  rec.action = action;
  rec.target = target;
  rec.reason = reason;
  rec.result = result;
  if (auto a = store_->append_audit(rec); !a) return a.error();
  return core::Ok{};
}

}  // namespace vsp::auth
