#include "center/pg_auth_store.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <cctype>
#include <initializer_list>
#include <iterator>

#include "auth/secrets.hpp"
#include "center/pg_result.hpp"
#include "core/log.hpp"

namespace vsp::center {

using auth::AuditRecord;
using core::make_error;

namespace {

const core::Logger kLog("center.auth");
constexpr std::int64_t kAuthMigrationLock = 0x565350'0003;  // "VSP" 3

// ---- Migrations of the account and audit tables: append only; each runs once, in order, in one
// transaction, tracked in auth_schema_migrations (apart from the event store's, as on the node).
const char* const kAuthMigrations[] = {
    // 1: accounts, tokens, sessions and the hash-chained audit log (the node's `auth` tables).
    //    audit_head is the chain's last record, locked by every append, so concurrent requests
    //    and several centers never fork the chain; the triggers keep the log append-only
    //    (retention deletes only at or below an anchor in audit_pruned).
    R"(CREATE TABLE auth_users(
         name text PRIMARY KEY, role text NOT NULL, password_hash text NOT NULL,
         disabled boolean NOT NULL DEFAULT false, created_ms bigint NOT NULL);
       CREATE TABLE auth_tokens(
         id text PRIMARY KEY, token_sha256 text NOT NULL UNIQUE, role text NOT NULL, label text NOT NULL,
         created_ms bigint NOT NULL, expires_ms bigint NOT NULL, revoked_ms bigint NOT NULL DEFAULT 0);
       CREATE TABLE auth_sessions(
         id_sha256 text PRIMARY KEY, user_name text NOT NULL, csrf text NOT NULL,
         created_ms bigint NOT NULL, expires_ms bigint NOT NULL);
       CREATE INDEX auth_sessions_user ON auth_sessions (user_name);
       CREATE TABLE audit_log(
         seq bigint PRIMARY KEY, ts_ms bigint NOT NULL, user_name text NOT NULL, role text NOT NULL,
         address text NOT NULL, action text NOT NULL, target text NOT NULL, reason text NOT NULL,
         result text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL);
       CREATE TABLE audit_head(
         one boolean PRIMARY KEY DEFAULT true CHECK (one), seq bigint NOT NULL, hash text NOT NULL);
       INSERT INTO audit_head(seq, hash) VALUES (0, repeat('0', 64));
       CREATE TABLE audit_pruned(
         up_to_seq bigint PRIMARY KEY, last_hash text NOT NULL, before_ms bigint NOT NULL, pruned_ms bigint NOT NULL);
       CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN RAISE EXCEPTION '% on %: the audit log is append-only', TG_OP, TG_TABLE_NAME; END $$;
       CREATE FUNCTION audit_delete_below_anchor() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN
              IF OLD.seq > (SELECT COALESCE(MAX(up_to_seq), 0) FROM audit_pruned) THEN
                RAISE EXCEPTION 'the audit log is append-only (retention cuts only below its recorded anchor)';
              END IF;
              RETURN OLD;
            END $$;
       CREATE FUNCTION audit_head_advance() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN
              IF NEW.seq <> OLD.seq + 1 THEN RAISE EXCEPTION 'the audit chain head only moves one record on'; END IF;
              RETURN NEW;
            END $$;
       CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR TRUNCATE ON audit_log
         FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
       CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
         FOR EACH ROW EXECUTE FUNCTION audit_delete_below_anchor();
       CREATE TRIGGER audit_pruned_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_pruned
         FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
       CREATE TRIGGER audit_head_no_delete BEFORE DELETE OR TRUNCATE ON audit_head
         FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
       CREATE TRIGGER audit_head_advances BEFORE UPDATE ON audit_head
         FOR EACH ROW EXECUTE FUNCTION audit_head_advance();)",
};

using Res = PgResult;

/// `sql` with $1.. bound to `params` (text).
Res query(PGconn* c, const char* sql, std::initializer_list<std::string> params = {}) {
  return pg_query(c, sql, std::vector<std::string>(params));
}

core::Error db_error(PGconn* c, const std::string& what) {
  const std::string msg = pg_error_text(c);
  return make_error(PQstatus(c) == CONNECTION_OK ? "pg_error" : "pg_unavailable",
                    fmt::format("postgres: {}: {}", what, msg));
}

/// A transaction rolled back on scope exit unless committed.
class Tx {
 public:
  explicit Tx(PGconn* c) : c_(c), open_(query(c, "BEGIN").ok()) {}
  ~Tx() {
    if (open_) PQclear(PQexec(c_, "ROLLBACK"));
  }
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;
  bool begun() const { return open_; }
  bool commit() {
    open_ = false;
    return query(c_, "COMMIT").ok();
  }

 private:
  PGconn* c_;
  bool open_;
};

auth::Role role_or_viewer(const std::string& s) { return auth::parse_role(s).value_or(auth::Role::viewer); }
std::string num(std::int64_t v) { return std::to_string(v); }

AuditRecord record_at(const Res& r, int i) {
  return AuditRecord{r.i64(i, 0),  r.i64(i, 1),  r.text(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5),
                     r.text(i, 6), r.text(i, 7), r.text(i, 8), r.text(i, 9), r.text(i, 10)};
}

}  // namespace

core::Result<std::unique_ptr<PgAuthStore>> PgAuthStore::open(PgStore& store) {
  if (!auth::crypto_ready()) return make_error("crypto_unavailable", "libsodium failed to initialise");
  std::unique_ptr<PgAuthStore> s(new PgAuthStore(store));
  // ---- Migrations, one center (or CLI) at a time ------------------------------------------------
  auto st = store.with_connection([](PGconn* c) -> core::Status {
    if (!query(c, fmt::format("SELECT pg_advisory_lock({})", kAuthMigrationLock).c_str()).ok())
      return db_error(c, "cannot take the account migration lock");
    struct Unlock {
      PGconn* c;
      ~Unlock() { PQclear(PQexec(c, fmt::format("SELECT pg_advisory_unlock({})", kAuthMigrationLock).c_str())); }
    } unlock{c};
    if (!query(c,
               "CREATE TABLE IF NOT EXISTS auth_schema_migrations(version integer PRIMARY KEY, "
               "applied_at timestamptz NOT NULL DEFAULT now())")
             .ok())
      return db_error(c, "cannot create auth_schema_migrations");
    Res v = query(c, "SELECT COALESCE(MAX(version), 0) FROM auth_schema_migrations");
    if (!v.ok()) return db_error(c, "cannot read auth_schema_migrations");
    const int have = static_cast<int>(v.i64(0, 0));
    const int want = static_cast<int>(std::size(kAuthMigrations));
    if (have > want)
      return make_error("pg_too_new",
                        fmt::format("postgres: account schema {} is newer than this vsp ({}): upgrade vsp", have, want),
                        "postgres.dsn");
    for (int i = have + 1; i <= want; ++i) {
      Tx tx(c);
      // Simple-query protocol: a migration is several statements.
      Res m(PQexec(c, kAuthMigrations[i - 1]));
      if (!tx.begun() || !m.ok() ||
          !query(c, "INSERT INTO auth_schema_migrations(version) VALUES($1)", {std::to_string(i)}).ok() || !tx.commit())
        return db_error(c, fmt::format("account migration {} failed", i));
      kLog.info("applied account migration {}", i);
    }
    return core::Ok{};
  });
  if (!st) return st.error();
  return s;
}

// ---- users ---------------------------------------------------------------------------------------

core::Status PgAuthStore::insert_user(const std::string& name, auth::Role role, const std::string& password_hash,
                                      std::int64_t now_ms) {
  return store_.with_connection([&](PGconn* c) -> core::Status {
    Res r = query(c, "INSERT INTO auth_users(name, role, password_hash, created_ms) VALUES($1, $2, $3, $4)",
                  {name, std::string(auth::role_name(role)), password_hash, num(now_ms)});
    if (r.ok()) return core::Ok{};
    if (r.sqlstate() == "23505")
      return make_error("user_exists", fmt::format("user '{}' already exists", name), "name");
    return db_error(c, "cannot add the user");
  });
}

core::Status PgAuthStore::update_password_hash(const std::string& name, const std::string& password_hash) {
  return store_.with_connection([&](PGconn* c) -> core::Status {
    Tx tx(c);
    Res r = query(c, "UPDATE auth_users SET password_hash = $1 WHERE name = $2", {password_hash, name});
    if (!tx.begun() || !r.ok()) return db_error(c, "cannot set the password");
    if (r.affected() != 1) return make_error("unknown_user", fmt::format("no user named '{}'", name), "name");
    // A new password ends every session.
    if (!query(c, "DELETE FROM auth_sessions WHERE user_name = $1", {name}).ok() || !tx.commit())
      return db_error(c, "cannot end the user's sessions");
    return core::Ok{};
  });
}

core::Status PgAuthStore::set_disabled(const std::string& name, bool disabled) {
  return store_.with_connection([&](PGconn* c) -> core::Status {
    Tx tx(c);
    Res r = query(c, "UPDATE auth_users SET disabled = $1 WHERE name = $2", {disabled ? "true" : "false", name});
    if (!tx.begun() || !r.ok()) return db_error(c, "cannot change the user");
    if (r.affected() != 1) return make_error("unknown_user", fmt::format("no user named '{}'", name), "name");
    if (disabled && !query(c, "DELETE FROM auth_sessions WHERE user_name = $1", {name}).ok())
      return db_error(c, "cannot end the user's sessions");
    if (!tx.commit()) return db_error(c, "cannot change the user");
    return core::Ok{};
  });
}

std::vector<auth::User> PgAuthStore::users() {
  std::vector<auth::User> out;
  auto st = store_.with_connection([&](PGconn* c) -> core::Status {
    Res r = query(c, "SELECT name, role, disabled, created_ms FROM auth_users ORDER BY name");
    if (!r.ok()) return db_error(c, "cannot list the users");
    for (int i = 0; i < r.rows(); ++i)
      out.push_back(auth::User{r.text(i, 0), role_or_viewer(r.text(i, 1)), r.flag(i, 2), r.i64(i, 3)});
    return core::Ok{};
  });
  if (!st) kLog.error("{}", st.error().message);
  return out;
}

bool PgAuthStore::has_users() {
  bool any = false;
  auto st = store_.with_connection([&](PGconn* c) -> core::Status {
    Res r = query(c, "SELECT 1 FROM auth_users WHERE NOT disabled LIMIT 1");
    if (!r.ok()) return db_error(c, "cannot read the users");
    any = r.rows() > 0;
    return core::Ok{};
  });
  // The database away: say "users exist", so an open (no-user) center never opens up because of it.
  if (!st) {
    kLog.error("{}", st.error().message);
    return true;
  }
  return any;
}

std::optional<auth::AuthStore::StoredUser> PgAuthStore::find_user(const std::string& name) {
  std::optional<StoredUser> out;
  auto st = store_.with_connection([&](PGconn* c) -> core::Status {
    Res r = query(c, "SELECT name, role, disabled, created_ms, password_hash FROM auth_users WHERE name = $1", {name});
    if (!r.ok()) return db_error(c, "cannot read the user");
    if (r.rows() == 1)
      out = StoredUser{auth::User{r.text(0, 0), role_or_viewer(r.text(0, 1)), r.flag(0, 2), r.i64(0, 3)}, r.text(0, 4)};
    return core::Ok{};
  });
  if (!st) kLog.error("{}", st.error().message);
  return out;
}

// ---- tokens --------------------------------------------------------------------------------------

core::Status PgAuthStore::insert_token(const auth::TokenInfo& t, const std::string& token_sha256) {
  return store_.with_connection([&](PGconn* c) -> core::Status {
    if (!query(
             c,
             "INSERT INTO auth_tokens(id, token_sha256, role, label, created_ms, expires_ms) "
             "VALUES($1, $2, $3, $4, $5, $6)",
             {t.id, token_sha256, std::string(auth::role_name(t.role)), t.label, num(t.created_ms), num(t.expires_ms)})
             .ok())
      return db_error(c, "cannot store the token");
    return core::Ok{};
  });
}

core::Status PgAuthStore::revoke_token(const std::string& id, std::int64_t now_ms) {
  return store_.with_connection([&](PGconn* c) -> core::Status {
    Res r = query(c, "UPDATE auth_tokens SET revoked_ms = $1 WHERE id = $2 AND revoked_ms = 0", {num(now_ms), id});
    if (!r.ok()) return db_error(c, "cannot revoke the token");
    if (r.affected() != 1) return make_error("unknown_token", fmt::format("no active token with id '{}'", id), "id");
    return core::Ok{};
  });
}

std::vector<auth::TokenInfo> PgAuthStore::tokens() {
  std::vector<auth::TokenInfo> out;
  auto st = store_.with_connection([&](PGconn* c) -> core::Status {
    Res r = query(c, "SELECT id, role, label, created_ms, expires_ms, revoked_ms FROM auth_tokens ORDER BY created_ms");
    if (!r.ok()) return db_error(c, "cannot list the tokens");
    for (int i = 0; i < r.rows(); ++i)
      out.push_back(auth::TokenInfo{r.text(i, 0), role_or_viewer(r.text(i, 1)), r.text(i, 2), r.i64(i, 3), r.i64(i, 4),
                                    r.i64(i, 5) != 0});
    return core::Ok{};
  });
  if (!st) kLog.error("{}", st.error().message);
  return out;
}

std::optional<auth::TokenInfo> PgAuthStore::find_token(const std::string& token_sha256) {
  std::optional<auth::TokenInfo> out;
  auto st = store_.with_connection([&](PGconn* c) -> core::Status {
    Res r =
        query(c, "SELECT id, role, label, created_ms, expires_ms, revoked_ms FROM auth_tokens WHERE token_sha256 = $1",
              {token_sha256});
    if (!r.ok()) return db_error(c, "cannot read the token");
    if (r.rows() == 1)
      out = auth::TokenInfo{r.text(0, 0),    role_or_viewer(r.text(0, 1)), r.text(0, 2), r.i64(0, 3), r.i64(0, 4),
                            r.i64(0, 5) != 0};
    return core::Ok{};
  });
  if (!st) kLog.error("{}", st.error().message);
  return out;
}

// ---- sessions ------------------------------------------------------------------------------------

core::Status PgAuthStore::insert_session(const std::string& id_sha256, const std::string& user, const std::string& csrf,
                                         std::int64_t now_ms, std::int64_t expires_ms) {
  return store_.with_connection([&](PGconn* c) -> core::Status {
    query(c, "DELETE FROM auth_sessions WHERE expires_ms <= $1", {num(now_ms)});
    if (!query(c,
               "INSERT INTO auth_sessions(id_sha256, user_name, csrf, created_ms, expires_ms) "
               "VALUES($1, $2, $3, $4, $5)",
               {id_sha256, user, csrf, num(now_ms), num(expires_ms)})
             .ok())
      return db_error(c, "cannot store the session");
    return core::Ok{};
  });
}

std::optional<auth::Principal> PgAuthStore::find_session(const std::string& id_sha256, std::int64_t now_ms) {
  std::optional<auth::Principal> out;
  auto st = store_.with_connection([&](PGconn* c) -> core::Status {
    // The role is read from the user row each time: a role change or disable takes effect at once.
    Res r = query(c,
                  "SELECT u.name, u.role, s.csrf FROM auth_sessions s JOIN auth_users u ON u.name = s.user_name "
                  "WHERE s.id_sha256 = $1 AND s.expires_ms > $2 AND NOT u.disabled",
                  {id_sha256, num(now_ms)});
    if (!r.ok()) return db_error(c, "cannot read the session");
    if (r.rows() == 1) out = auth::Principal{r.text(0, 0), role_or_viewer(r.text(0, 1)), r.text(0, 2), true};
    return core::Ok{};
  });
  if (!st) kLog.error("{}", st.error().message);
  return out;
}

void PgAuthStore::delete_session(const std::string& id_sha256) {
  auto st = store_.with_connection([&](PGconn* c) -> core::Status {
    if (!query(c, "DELETE FROM auth_sessions WHERE id_sha256 = $1", {id_sha256}).ok())
      return db_error(c, "cannot end the session");
    return core::Ok{};
  });
  if (!st) kLog.error("{}", st.error().message);
}

// ---- audit log -----------------------------------------------------------------------------------

core::Result<AuditRecord> PgAuthStore::append_audit(AuditRecord rec) {
  auto st = store_.with_connection([&](PGconn* c) -> core::Status {
    // ---- Lock the chain head: appends from every thread and every center queue here -----------
    Tx tx(c);
    Res head = query(c, "SELECT seq, hash FROM audit_head FOR UPDATE");
    if (!tx.begun() || !head.ok() || head.rows() != 1) return db_error(c, "cannot lock the audit chain head");
    rec = auth::chain_audit_record(std::move(rec), head.i64(0, 0), head.text(0, 1));
    // ---- The record and the new head, committed together ----------------------------------------
    if (!query(c,
               "INSERT INTO audit_log(seq, ts_ms, user_name, role, address, action, target, reason, result, "
               "prev_hash, hash) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
               {num(rec.seq), num(rec.ts_ms), rec.user, rec.role, rec.address, rec.action, rec.target, rec.reason,
                rec.result, rec.prev_hash, rec.hash})
             .ok())
      return db_error(c, "cannot append to the audit log");
    if (!query(c, "UPDATE audit_head SET seq = $1, hash = $2", {num(rec.seq), rec.hash}).ok())
      return db_error(c, "cannot move the audit chain head");
    if (!tx.commit()) return db_error(c, "cannot commit the audit record");
    return core::Ok{};
  });
  if (!st) return make_error("audit_write_failed", st.error().message);
  return rec;
}

std::vector<AuditRecord> PgAuthStore::audit(std::int64_t after_seq, int limit) {
  std::vector<AuditRecord> out;
  auto st = store_.with_connection([&](PGconn* c) -> core::Status {
    const std::string sql = fmt::format(
        "SELECT seq, ts_ms, user_name, role, address, action, target, reason, result, prev_hash, hash FROM audit_log "
        "WHERE seq > $1 ORDER BY seq LIMIT {}",
        limit > 0 ? std::to_string(limit) : std::string("ALL"));
    Res r = query(c, sql.c_str(), {num(after_seq)});
    if (!r.ok()) return db_error(c, "cannot read the audit log");
    out.reserve(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(record_at(r, i));
    return core::Ok{};
  });
  if (!st) kLog.error("{}", st.error().message);
  return out;
}

core::Result<std::int64_t> PgAuthStore::prune_audit(std::int64_t before_ms, std::int64_t now_ms) {
  std::int64_t n = 0;
  auto st = store_.with_connection([&](PGconn* c) -> core::Status {
    Tx tx(c);
    // The head lock keeps appends out while the prefix is chosen and cut.
    if (!tx.begun() || !query(c, "SELECT seq FROM audit_head FOR UPDATE").ok())
      return db_error(c, "audit retention: cannot lock the chain head");
    // The records to cut are a prefix of the chain (as on the node: the cut never skips a newer one).
    Res last = query(c,
                     "SELECT seq, hash FROM audit_log WHERE seq < COALESCE((SELECT MIN(seq) FROM audit_log WHERE "
                     "ts_ms >= $1), (SELECT MAX(seq) + 1 FROM audit_log)) ORDER BY seq DESC LIMIT 1",
                     {num(before_ms)});
    if (!last.ok()) return db_error(c, "audit retention: cannot choose the records");
    if (last.rows() == 0) return core::Ok{};
    const std::string up_to = last.text(0, 0);
    if (!query(c, "INSERT INTO audit_pruned(up_to_seq, last_hash, before_ms, pruned_ms) VALUES($1, $2, $3, $4)",
               {up_to, last.text(0, 1), num(before_ms), num(now_ms)})
             .ok())
      return db_error(c, "audit retention: cannot record the anchor");
    Res del = query(c, "DELETE FROM audit_log WHERE seq <= $1", {up_to});
    if (!del.ok()) return db_error(c, "audit retention: cannot delete");
    n = del.affected();
    if (!tx.commit()) return db_error(c, "audit retention: cannot commit");
    return core::Ok{};
  });
  if (!st) return make_error("audit_prune_failed", st.error().message);
  return n;
}

auth::AuditAnchor PgAuthStore::audit_anchor() {
  auth::AuditAnchor out;
  auto st = store_.with_connection([&](PGconn* c) -> core::Status {
    Res r = query(c, "SELECT up_to_seq, last_hash FROM audit_pruned ORDER BY up_to_seq DESC LIMIT 1");
    if (!r.ok()) return db_error(c, "cannot read the audit anchor");
    if (r.rows() == 1) out = auth::AuditAnchor{r.i64(0, 0) + 1, r.text(0, 1)};
    return core::Ok{};
  });
  if (!st) kLog.error("{}", st.error().message);
  return out;
}

std::optional<auth::AuditHead> PgAuthStore::audit_head() {
  std::optional<auth::AuditHead> out;
  auto st = store_.with_connection([&](PGconn* c) -> core::Status {
    Res r = query(c, "SELECT seq, hash FROM audit_head");
    if (!r.ok()) return db_error(c, "cannot read the audit chain head");
    // A missing head row (deleted behind the triggers' back) reads as "no head": the chain check stands alone.
    if (r.rows() == 1) out = auth::AuditHead{r.i64(0, 0), r.text(0, 1)};
    return core::Ok{};
  });
  if (!st) kLog.error("{}", st.error().message);
  return out;
}

}  // namespace vsp::center
