// center::PgAuthStore against a real PostgreSQL: center_audit_test.sh starts one and runs this
// binary with VSP_TEST_PG_DSN naming a fresh database. Two stores (two pools, like two centers)
// share accounts, tokens and sessions; appends from many threads on both form one unbroken chain;
// retention cuts a prefix and the rest verifies from its anchor.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <thread>

#include "auth/audit_chain.hpp"
#include "center/pg_auth_store.hpp"
#include "center/pg_store.hpp"

using namespace vsp;

namespace {

struct Center {
  std::unique_ptr<center::PgStore> pg;
  std::unique_ptr<center::PgAuthStore> auth;
};

std::optional<Center> open_center() {
  const char* dsn = std::getenv("VSP_TEST_PG_DSN");
  if (!dsn) return std::nullopt;
  auto pg = center::PgStore::open(dsn);
  EXPECT_TRUE(pg) << (pg ? "" : pg.error().message);
  if (!pg) return std::nullopt;
  Center c{std::move(pg).value(), nullptr};
  auto a = center::PgAuthStore::open(*c.pg);
  EXPECT_TRUE(a) << (a ? "" : a.error().message);
  if (!a) return std::nullopt;
  c.auth = std::move(a).value();
  return c;
}

#define OPEN_TWO_CENTERS()                                                           \
  if (!std::getenv("VSP_TEST_PG_DSN")) GTEST_SKIP() << "VSP_TEST_PG_DSN is not set"; \
  auto c1 = open_center();                                                           \
  auto c2 = open_center();                                                           \
  ASSERT_TRUE(c1&& c2);                                                              \
  auth::AuthStore& a = *c1->auth;                                                    \
  auth::AuthStore& b = *c2->auth

auth::AuditRecord rec(std::int64_t ts_ms, const std::string& target) {
  auth::AuditRecord r;
  r.ts_ms = ts_ms;
  r.user = "tester";
  r.role = "auditor";
  r.address = "127.0.0.1";
  r.action = "search_events";
  r.target = target;
  r.result = "ok";
  return r;
}

/// Whether `sql` succeeds on `store`'s connection (the error text in `err`).
bool run_sql(center::PgStore& store, const std::string& sql, std::string* err = nullptr) {
  bool ok = false;
  auto st = store.with_connection([&](pg_conn* c) -> core::Status {
    PGresult* r = PQexec(c, sql.c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok && err) *err = PQerrorMessage(c);
    PQclear(r);
    return core::Ok{};
  });
  return st && ok;
}

}  // namespace

TEST(PgAuthStore, accounts_tokens_and_sessions_made_on_one_center_work_on_the_other) {
  OPEN_TWO_CENTERS();
  ASSERT_TRUE(a.add_user("alice", auth::Role::operator_, "password-1", 1000));
  EXPECT_EQ(b.add_user("alice", auth::Role::viewer, "password-2", 1000).error().code, "user_exists");
  EXPECT_EQ(b.add_user("bad name", auth::Role::viewer, "password-2", 1000).error().code, "bad_name");
  EXPECT_EQ(b.add_user("bob", auth::Role::viewer, "short", 1000).error().code, "weak_password");
  EXPECT_TRUE(b.has_users());
  auto u = b.check_password("alice", "password-1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->role, auth::Role::operator_);
  EXPECT_FALSE(b.check_password("alice", "password-2"));
  EXPECT_FALSE(b.check_password("nobody", "password-1"));

  auto tok = a.create_token(auth::Role::auditor, "ci", 1000, 0);
  ASSERT_TRUE(tok);
  auto p = b.authenticate_token(tok->secret, 5000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->role, auth::Role::auditor);
  EXPECT_FALSE(b.authenticate_token(tok->secret + "x", 5000));
  ASSERT_TRUE(b.revoke_token(tok->id, 6000));
  EXPECT_FALSE(a.authenticate_token(tok->secret, 7000));
  EXPECT_EQ(a.revoke_token(tok->id, 8000).error().code, "unknown_token");
  auto expiring = a.create_token(auth::Role::viewer, "", 1000, 2000);
  ASSERT_TRUE(expiring);
  EXPECT_TRUE(b.authenticate_token(expiring->secret, 1999));
  EXPECT_FALSE(b.authenticate_token(expiring->secret, 2000));

  auto s = a.create_session(*u, 1000, 60'000);
  ASSERT_TRUE(s);
  auto ps = b.authenticate_session(s->id, 2000);
  ASSERT_TRUE(ps);
  EXPECT_EQ(ps->name, "alice");
  EXPECT_EQ(ps->csrf, s->csrf);
  EXPECT_FALSE(b.authenticate_session(s->id, 61'000));  // expired
  ASSERT_TRUE(b.set_password("alice", "password-3"));   // ends every session
  EXPECT_FALSE(a.authenticate_session(s->id, 2000));
  auto s2 = a.create_session(*u, 3000, 60'000);
  ASSERT_TRUE(s2);
  ASSERT_TRUE(a.set_disabled("alice", true));
  EXPECT_FALSE(b.authenticate_session(s2->id, 4000));
  EXPECT_FALSE(b.check_password("alice", "password-3"));
  EXPECT_EQ(a.set_disabled("nobody", true).error().code, "unknown_user");
}

TEST(PgAuthStore, appends_from_many_threads_on_two_centers_form_one_unbroken_chain) {
  OPEN_TWO_CENTERS();
  const std::int64_t first = b.audit_head()->seq + 1;
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      auth::AuthStore& s = t % 2 ? a : b;
      for (int i = 0; i < kEach; ++i)
        if (!s.append_audit(rec(100'000 + t * 1000 + i, "t" + std::to_string(t) + "/" + std::to_string(i)))) ++failed;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed, 0);
  const auto head = a.audit_head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->seq, first + kThreads * kEach - 1);
  const auto recs = b.audit();
  ASSERT_FALSE(recs.empty());
  EXPECT_EQ(recs.back().seq, head->seq);
  EXPECT_EQ(recs.back().hash, head->hash);
  EXPECT_FALSE(auth::verify_audit_chain(recs, b.audit_anchor(), head));
  // Paging: after_seq and limit.
  const auto page = a.audit(first, 10);
  ASSERT_EQ(page.size(), 10u);
  EXPECT_EQ(page.front().seq, first + 1);
}

TEST(PgAuthStore, retention_cuts_a_prefix_the_rest_verifies_from_its_anchor_and_appends_continue) {
  OPEN_TWO_CENTERS();
  // Newer than every record the tests before wrote: the cut takes them too.
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(a.append_audit(rec(10'000'000 + i, "r" + std::to_string(i))));
  const auto all = a.audit();
  const std::int64_t total = static_cast<std::int64_t>(all.size());
  auto n = b.prune_audit(10'000'006, 20'000'000);  // records written before ts 10'000'006
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, total - 5);
  const auto anchor = a.audit_anchor();
  const auto rest = a.audit();
  ASSERT_EQ(rest.size(), 5u);
  EXPECT_EQ(rest.front().ts_ms, 10'000'006);
  EXPECT_EQ(anchor.first_seq, rest.front().seq);
  EXPECT_EQ(anchor.prev_hash, rest.front().prev_hash);
  EXPECT_FALSE(auth::verify_audit_chain(rest, anchor, a.audit_head()));
  EXPECT_TRUE(auth::verify_audit_chain(rest, {}, a.audit_head()));  // without the anchor the cut shows
  // The trigger lets nothing above the anchor go, nor the anchor itself.
  std::string err;
  EXPECT_FALSE(run_sql(*c1->pg, "DELETE FROM audit_log WHERE seq = " + std::to_string(rest.back().seq), &err));
  EXPECT_NE(err.find("append-only"), std::string::npos) << err;
  EXPECT_FALSE(run_sql(*c1->pg, "DELETE FROM audit_pruned", &err));
  EXPECT_FALSE(run_sql(*c1->pg, "UPDATE audit_log SET target = 'x'", &err));
  // Everything cut: the chain continues from the anchor and the head.
  ASSERT_TRUE(a.prune_audit(99'000'000, 99'000'000));
  EXPECT_TRUE(a.audit().empty());
  EXPECT_FALSE(auth::verify_audit_chain({}, a.audit_anchor(), a.audit_head()));
  auto next = b.append_audit(rec(99'000'001, "after"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->seq, rest.back().seq + 1);
  EXPECT_EQ(next->prev_hash, rest.back().hash);
  EXPECT_FALSE(auth::verify_audit_chain(a.audit(), a.audit_anchor(), a.audit_head()));
  auto none = a.prune_audit(1, 99'000'002);  // nothing older than ts 1
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);
}
