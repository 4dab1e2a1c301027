// Accounts, tokens, sessions, throttling, the audit chain and the role matrix: pure logic and a
// real SQLite file, no server.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <set>

#include "api/http_server.hpp"
#include "auth/audit_chain.hpp"
#include "auth/auth_store.hpp"
#include "auth/login_throttle.hpp"
#include "center/center_api.hpp"
#include "center/center_config.hpp"
#include "config/serve_config.hpp"
#include "core/redact.hpp"

using namespace vsp;
namespace fs = std::filesystem;

namespace {

struct TempDb {
  fs::path dir = fs::temp_directory_path() / ("vsp_auth_" + std::to_string(::getpid()) + "_" +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDb() { fs::create_directories(dir); }
  ~TempDb() { fs::remove_all(dir); }
  std::string path() const { return (dir / "vsp.db").string(); }
};

std::vector<auth::AuditRecord> chain(int n) {
  std::vector<auth::AuditRecord> v;
  std::string prev = auth::kAuditGenesis;
  for (int i = 1; i <= n; ++i) {
    auth::AuditRecord r{i,  1000 + i, "alice", "viewer", "10.0.0.1", "search_events", "camera=" + std::to_string(i),
                        "", "ok",     prev,    ""};
    r.hash = auth::audit_record_hash(r);
    prev = r.hash;
    v.push_back(r);
  }
  return v;
}

}  // namespace

TEST(AuditChain, intact_chain_verifies_and_each_kind_of_tampering_names_the_first_bad_record) {
  EXPECT_FALSE(auth::verify_audit_chain(chain(6)));
  auto edited = chain(6);
  edited[2].target = "camera=other";
  EXPECT_EQ(auth::verify_audit_chain(edited)->seq, 3);
  auto deleted = chain(6);
  deleted.erase(deleted.begin() + 3);
  EXPECT_EQ(auth::verify_audit_chain(deleted)->seq, 5);
  auto renumbered = deleted;
  for (size_t i = 3; i < renumbered.size(); ++i) renumbered[i].seq -= 1;
  EXPECT_EQ(auth::verify_audit_chain(renumbered)->seq, 4);
  auto reordered = chain(6);
  std::swap(reordered[1], reordered[2]);
  std::swap(reordered[1].seq, reordered[2].seq);
  EXPECT_EQ(auth::verify_audit_chain(reordered)->seq, 2);
  auto inserted = chain(6);
  auto ghost = inserted[1];
  ghost.user = "ghost";
  ghost.hash = auth::audit_record_hash(ghost);
  inserted.insert(inserted.begin() + 2, ghost);
  for (size_t i = 2; i < inserted.size(); ++i) inserted[i].seq = static_cast<std::int64_t>(i) + 1;
  EXPECT_EQ(auth::verify_audit_chain(inserted)->seq, 3);
}

TEST(AuditChain, with_a_chain_head_records_cut_from_the_end_or_a_rehashed_last_record_are_caught) {
  const auto full = chain(6);
  const auth::AuditHead head{6, full.back().hash};
  EXPECT_FALSE(auth::verify_audit_chain(full, {}, head));
  // Appended after the head was read: still intact.
  EXPECT_FALSE(auth::verify_audit_chain(full, {}, auth::AuditHead{5, full[4].hash}));
  auto cut = full;
  cut.pop_back();
  EXPECT_FALSE(auth::verify_audit_chain(cut));  // the chain alone cannot see it
  EXPECT_EQ(auth::verify_audit_chain(cut, {}, head)->seq, 6);
  cut.pop_back();
  const auto two = auth::verify_audit_chain(cut, {}, head);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->seq, 5);
  EXPECT_NE(two->problem.find("5..6"), std::string::npos) << two->problem;
  auto rehashed = full;
  rehashed.back().target = "camera=other";
  rehashed.back().hash = auth::audit_record_hash(rehashed.back());
  EXPECT_FALSE(auth::verify_audit_chain(rehashed));
  EXPECT_EQ(auth::verify_audit_chain(rehashed, {}, head)->seq, 6);
  // Every record cut: the head still names the last one.
  EXPECT_EQ(auth::verify_audit_chain({}, {}, head)->seq, 1);
}

TEST(AuditChain, chain_audit_record_follows_the_last_record) {
  auth::AuditRecord r;
  r.user = "bob";
  const auto first = auth::chain_audit_record(r, 0, auth::kAuditGenesis);
  const auto second = auth::chain_audit_record(r, first.seq, first.hash);
  EXPECT_EQ(second.seq, 2);
  EXPECT_EQ(second.prev_hash, first.hash);
  EXPECT_FALSE(auth::verify_audit_chain({first, second}, {}, auth::AuditHead{2, second.hash}));
}

TEST(AuditChain, a_separator_inside_a_field_cannot_make_two_records_hash_alike) {
  auth::AuditRecord a{1, 1, "ab", "c", "", "", "", "", "", auth::kAuditGenesis, ""};
  auth::AuditRecord b{1, 1, "a", "bc", "", "", "", "", "", auth::kAuditGenesis, ""};
  EXPECT_NE(auth::audit_record_hash(a), auth::audit_record_hash(b));
}

TEST(LoginThrottle, locks_after_five_failures_doubles_and_unlocks_after_the_wait) {
  auth::LoginThrottle t;
  const std::int64_t t0 = 1'000'000;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(t.retry_after_ms("bob", "1.2.3.4", t0 + i), 0);
    t.failed("bob", "1.2.3.4", t0 + i);
  }
  EXPECT_EQ(t.retry_after_ms("bob", "1.2.3.4", t0 + 10), 0);
  t.failed("bob", "1.2.3.4", t0 + 10);  // 5th
  EXPECT_EQ(t.retry_after_ms("bob", "1.2.3.4", t0 + 10), 60'000);
  EXPECT_EQ(t.retry_after_ms("bob", "5.6.7.8", t0 + 10), 60'000) << "the account lock holds from any address";
  EXPECT_EQ(t.retry_after_ms("carol", "1.2.3.4", t0 + 10), 0) << "other accounts from the address are free";
  t.failed("bob", "1.2.3.4", t0 + 20);  // 6th: doubled
  EXPECT_EQ(t.retry_after_ms("bob", "1.2.3.4", t0 + 20), 120'000);
  EXPECT_EQ(t.retry_after_ms("bob", "1.2.3.4", t0 + 20 + 120'000), 0);
  for (int i = 0; i < 20; ++i) t.failed("bob", "1.2.3.4", t0 + 200'000 + i);
  EXPECT_EQ(t.retry_after_ms("bob", "1.2.3.4", t0 + 200'100), 15 * 60'000 - 81) << "capped at 15 minutes";
  t.succeeded("bob");
  EXPECT_EQ(t.retry_after_ms("bob", "9.9.9.9", t0 + 200'100), 0);
}

TEST(LoginThrottle, an_address_spraying_many_accounts_is_locked) {
  auth::LoginThrottle t;
  for (int i = 0; i < 30; ++i) t.failed("user" + std::to_string(i), "6.6.6.6", 1000 + i);
  EXPECT_GT(t.retry_after_ms("fresh", "6.6.6.6", 2000), 0);
  EXPECT_EQ(t.retry_after_ms("fresh", "7.7.7.7", 2000), 0);
}

TEST(AuthStore, users_tokens_and_sessions_round_trip_and_secrets_are_stored_hashed) {
  TempDb db;
  auto st = auth::AuthStore::open(db.path());
  ASSERT_TRUE(st) << st.error().message;
  auto& s = **st;
  EXPECT_FALSE(s.has_users());
  ASSERT_TRUE(s.add_user("alice", auth::Role::operator_, "long enough pw", 1));
  EXPECT_FALSE(s.add_user("alice", auth::Role::viewer, "long enough pw", 1)) << "duplicate";
  EXPECT_FALSE(s.add_user("bob", auth::Role::viewer, "short", 1)) << "weak password";
  EXPECT_FALSE(s.add_user("bad name;", auth::Role::viewer, "long enough pw", 1));
  EXPECT_TRUE(s.has_users());
  EXPECT_TRUE(s.check_password("alice", "long enough pw"));
  EXPECT_FALSE(s.check_password("alice", "wrong password"));
  EXPECT_FALSE(s.check_password("nobody", "long enough pw"));

  auto tok = s.create_token(auth::Role::viewer, "grafana", 1000, 5000);
  ASSERT_TRUE(tok);
  auto who = s.authenticate_token(tok->secret, 2000);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->role, auth::Role::viewer);
  EXPECT_FALSE(s.authenticate_token(tok->secret, 5000)) << "expired";
  EXPECT_FALSE(s.authenticate_token(tok->secret + "x", 2000));
  ASSERT_TRUE(s.revoke_token(tok->id, 3000));
  EXPECT_FALSE(s.authenticate_token(tok->secret, 2000)) << "revoked";

  auto user = s.check_password("alice", "long enough pw");
  auto sess = s.create_session(*user, 1000, 10'000);
  ASSERT_TRUE(sess);
  auto p = s.authenticate_session(sess->id, 2000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->csrf, sess->csrf);
  EXPECT_FALSE(s.authenticate_session(sess->id, 11'000)) << "expired";
  ASSERT_TRUE(s.set_disabled("alice", true));
  EXPECT_FALSE(s.authenticate_session(sess->id, 2000)) << "disabling ends sessions";
  EXPECT_FALSE(s.check_password("alice", "long enough pw"));

  // Nothing secret is stored in the clear.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.path().c_str(), &raw), SQLITE_OK);
  auto count = [&](const std::string& sql) {
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(raw, sql.c_str(), -1, &q, nullptr);
    int n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : -1;
    sqlite3_finalize(q);
    return n;
  };
  EXPECT_EQ(count("SELECT count(*) FROM auth_tokens WHERE token_sha256 = '" + tok->secret + "'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM auth_users WHERE password_hash LIKE '$argon2id$%'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM auth_sessions WHERE id_sha256 = '" + sess->id + "'"), 0);
  sqlite3_close(raw);
}

TEST(AuthStore, audit_appends_chain_across_connections_and_refuses_updates) {
  TempDb db;
  auto a = auth::AuthStore::open(db.path());
  auto b = auth::AuthStore::open(db.path());  // like `vsp user add` while the node runs
  ASSERT_TRUE(a && b);
  for (int i = 0; i < 10; ++i) {
    auth::AuditRecord r;
    r.ts_ms = i;
    r.action = "x";
    ASSERT_TRUE((i % 2 ? *a : *b)->append_audit(r));
  }
  const auto recs = (*a)->audit();
  ASSERT_EQ(recs.size(), 10u);
  EXPECT_FALSE(auth::verify_audit_chain(recs));
  EXPECT_EQ((*a)->audit(8).size(), 2u);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.path().c_str(), &raw), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(raw, "UPDATE audit_log SET user = 'x'", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(raw, "DELETE FROM audit_log", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
}

TEST(RequestAuditor, polled_redacted_reads_are_logged_once_a_minute_and_unmasking_every_time) {
  TempDb db;
  auto st = auth::AuthStore::open(db.path());
  ASSERT_TRUE(st) << st.error().message;
  auth::RequestAuditor a(st->get());
  auth::Principal alice;
  alice.name = "alice";
  alice.role = auth::Role::operator_;
  const std::int64_t t0 = 1'000'000;
  // The live grid refreshes camera c1's blurred snapshot every 5 s for 2 minutes.
  for (std::int64_t t = t0; t < t0 + 120'000; t += 5'000) {
    ASSERT_TRUE(a.record(alice, "10.0.0.1", "snapshot", "c1", "ok", "", t));
    ASSERT_TRUE(a.record(alice, "10.0.0.1", "snapshot", "c2", "ok", "", t));
  }
  // Another viewer, a failure, and unmasking are each their own record every time.
  ASSERT_TRUE(a.record(alice, "10.0.0.2", "snapshot", "c1", "ok", "", t0 + 1));
  ASSERT_TRUE(a.record(alice, "10.0.0.1", "snapshot", "c1", "failed (404)", "", t0 + 2));
  ASSERT_TRUE(a.record(alice, "10.0.0.1", "snapshot", "c1", "failed (404)", "", t0 + 3));
  ASSERT_TRUE(a.record(alice, "10.0.0.1", "unmask_snapshot", "c1", "ok", "incident 7", t0 + 4));
  ASSERT_TRUE(a.record(alice, "10.0.0.1", "unmask_snapshot", "c1", "ok", "incident 7", t0 + 5));
  int c1 = 0, c2 = 0, other = 0;
  for (const auto& r : (*st)->audit()) {
    if (r.action == "snapshot" && r.result == "ok" && r.address == "10.0.0.1")
      (r.target == "c1" ? c1 : c2)++;
    else
      ++other;
  }
  EXPECT_EQ(c1, 2);  // t0 and t0 + 60 s
  EXPECT_EQ(c2, 2);
  EXPECT_EQ(other, 5);
}

TEST(RoleMatrix, only_healthz_the_web_ui_files_and_login_are_open_and_each_role_reaches_what_it_should) {
  for (const auto& r : api::route_table()) {
    if (r.access != auth::Access::open) continue;
    // The web UI's static files (`/`, `/assets/*`) hold no data: the page asks for a login.
    EXPECT_TRUE(r.pattern == "/healthz" || r.pattern == "/" || r.pattern == "/assets/*" || r.pattern == "/api/login")
        << r.pattern;
  }
  using auth::Access;
  using auth::Role;
  // role x access, in the order viewer, operator, admin, auditor
  const std::vector<std::pair<Access, std::array<bool, 4>>> m = {
      {Access::view, {true, true, true, true}},     {Access::operate, {false, true, true, false}},
      {Access::audit, {false, false, true, true}},  {Access::unmask, {false, false, true, true}},
      {Access::admin, {false, false, true, false}}, {Access::any, {true, true, true, true}}};
  const Role roles[] = {Role::viewer, Role::operator_, Role::admin, Role::auditor};
  for (const auto& [access, want] : m)
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(auth::allows(roles[i], access), want[static_cast<size_t>(i)])
          << auth::role_name(roles[i]) << " " << auth::access_name(access);
  // Editing a camera's rules needs the operate right, reading them too (they show where people count).
  for (const auto& r : api::route_table()) {
    if (r.pattern == "/api/cameras/*/rules") {
      EXPECT_EQ(r.access, Access::operate) << r.method;
    }
  }
}

TEST(ServeConfig, a_non_loopback_listen_needs_tls_and_loopback_stays_the_default) {
  auto no_tls =
      config::parse_serve_config("cameras: [{name: a, record_url: x}]\napi: {listen: 0.0.0.0:8443}\n", "s.yml");
  ASSERT_TRUE(std::holds_alternative<config::ConfigErrors>(no_tls));
  EXPECT_NE(std::get<config::ConfigErrors>(no_tls).front().to_string().find("api.tls"), std::string::npos);
  auto tls = config::parse_serve_config(
      "cameras: [{name: a, record_url: x}]\napi: {listen: 0.0.0.0:8443, tls: {cert: c.pem, key: k.pem}}\n", "s.yml");
  ASSERT_TRUE(std::holds_alternative<config::ServeConfig>(tls));
  EXPECT_EQ(std::get<config::ServeConfig>(tls).tls->key, "k.pem");
  EXPECT_TRUE(std::get<config::ServeConfig>(tls).privacy.blur_faces) << "faces are blurred by default";
  EXPECT_TRUE(config::is_loopback_listen("127.0.0.1:8080"));
  EXPECT_TRUE(config::is_loopback_listen("[::1]:8080"));
  EXPECT_FALSE(config::is_loopback_listen("0.0.0.0:8080"));
  EXPECT_FALSE(config::is_loopback_listen("192.168.1.5:8080"));
}

TEST(Redact, url_credentials_are_masked_and_everything_else_kept) {
  EXPECT_EQ(core::redact_urls("rtsp://u:p@cam:554/x: cannot open"), "rtsp://***@cam:554/x: cannot open");
  EXPECT_EQ(core::redact_urls("a http://cam/x and nats://n:pw@h:4222"), "a http://cam/x and nats://***@h:4222");
  EXPECT_EQ(core::redact_urls("rtsp://cam/path@odd"), "rtsp://cam/path@odd");
  EXPECT_EQ(core::redact_urls("no url @ all"), "no url @ all");
  EXPECT_EQ(core::redact_urls("rtsp://u:p@"), "rtsp://***@");
}

TEST(RoleMatrix, center_routes_all_need_a_role_but_healthz_and_login_and_evidence_needs_operate) {
  std::set<std::string> open, seen;
  for (const auto& r : center::route_table()) {
    EXPECT_TRUE(seen.insert(r.method + " " + r.pattern).second) << "listed twice: " << r.pattern;
    if (r.access == auth::Access::open) open.insert(r.method + " " + r.pattern);
    if (r.pattern == "/api/clip" || r.pattern.rfind("/api/evidence/", 0) == 0) {
      EXPECT_EQ(r.access, auth::Access::operate) << r.pattern;
    }
    if (r.pattern == "/api/audit") {
      EXPECT_EQ(r.access, auth::Access::audit);
    }
  }
  // The web UI's static files are open (no data in them; the UI asks for a login), as on the node.
  EXPECT_EQ(open, (std::set<std::string>{"GET /", "GET /assets/*", "GET /healthz", "POST /api/login"}));
}

TEST(CenterConfig, an_old_auth_db_is_refused_naming_postgresql_where_the_accounts_now_live) {
  const std::string base = "nats: {servers: [nats://127.0.0.1:4222]}\npostgres: {dsn: x}\n";
  ASSERT_TRUE(std::holds_alternative<center::CenterConfig>(center::parse_center_config(base, "/etc/vsp/center.yml")));
  auto m = center::parse_center_config(base + "auth: {db: /var/lib/vsp/accounts.db}\n", "/etc/vsp/center.yml");
  ASSERT_TRUE(std::holds_alternative<config::ConfigErrors>(m));
  const std::string msg = std::get<config::ConfigErrors>(m).front().to_string();
  EXPECT_NE(msg.find("auth.db"), std::string::npos) << msg;
  EXPECT_NE(msg.find("PostgreSQL"), std::string::npos) << msg;
  auto bad = center::parse_center_config(base + "auth: {file: x}\n", "c.yml");
  ASSERT_TRUE(std::holds_alternative<config::ConfigErrors>(bad));
  EXPECT_NE(std::get<config::ConfigErrors>(bad).front().to_string().find("unknown key 'file'"), std::string::npos);
  EXPECT_TRUE(center::looks_like_center_config(base));
  EXPECT_FALSE(center::looks_like_center_config("cameras: []\n"));
}
