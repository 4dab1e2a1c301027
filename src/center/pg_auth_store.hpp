#pragma once
/// The center's accounts, API tokens, sessions and audit log in PostgreSQL: `auth::AuthStore`
/// (the node's policy: argon2id, token and session formats, the hash chain) on tables of its own
/// (numbered migrations tracked in `auth_schema_migrations`, apart from the event store's),
/// through `PgStore`'s connection pool. Several centers on one database share the
/// accounts and sessions, and append to one audit chain: each append locks the chain-head row
/// (`SELECT … FOR UPDATE` on `audit_head`) in its transaction, so concurrent requests in one
/// process or in several never fork it. Thread-safe.
#include <memory>

#include "auth/auth_store.hpp"
#include "center/pg_store.hpp"

namespace vsp::center {

class PgAuthStore final : public auth::AuthStore {
 public:
  /// On `store`'s pool; applies the account migrations (advisory lock: several centers and the
  /// CLI may start at once). `store` outlives it.
  static core::Result<std::unique_ptr<PgAuthStore>> open(PgStore& store);

  core::Status set_disabled(const std::string& name, bool disabled) override;
  std::vector<auth::User> users() override;
  bool has_users() override;
  core::Status revoke_token(const std::string& id, std::int64_t now_ms) override;
  std::vector<auth::TokenInfo> tokens() override;
  core::Result<auth::AuditRecord> append_audit(auth::AuditRecord r) override;
  std::vector<auth::AuditRecord> audit(std::int64_t after_seq = 0, int limit = 0) override;
  core::Result<std::int64_t> prune_audit(std::int64_t before_ms, std::int64_t now_ms) override;
  auth::AuditAnchor audit_anchor() override;
  std::optional<auth::AuditHead> audit_head() override;

 protected:
  core::Status insert_user(const std::string& name, auth::Role role, const std::string& password_hash,
                           std::int64_t now_ms) override;
  core::Status update_password_hash(const std::string& name, const std::string& password_hash) override;
  std::optional<StoredUser> find_user(const std::string& name) override;
  core::Status insert_token(const auth::TokenInfo& t, const std::string& token_sha256) override;
  std::optional<auth::TokenInfo> find_token(const std::string& token_sha256) override;
  core::Status insert_session(const std::string& id_sha256, const std::string& user, const std::string& csrf,
                              std::int64_t now_ms, std::int64_t expires_ms) override;
  std::optional<auth::Principal> find_session(const std::string& id_sha256, std::int64_t now_ms) override;
  void delete_session(const std::string& id_sha256) override;

 private:
  explicit PgAuthStore(PgStore& store) : store_(store) {}
  PgStore& store_;
};

}  // namespace vsp::center
