// Retention per kind on the node: recordings, events, snapshots, plate reads and the audit log
// each with an age of their own; the audit log kept the longest, its chain anchored where cut.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <variant>

#include "auth/auth_store.hpp"
#include "config/serve_config.hpp"
#include "core/clock.hpp"
#include "pipeline/node.hpp"
#include "store/store.hpp"

using namespace vsp;

namespace {

constexpr std::int64_t kDay = 86'400'000;

struct TempDir {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("vsp_retention_kinds_" + std::to_string(::getpid()) + "_" +
                                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDir() { std::filesystem::create_directories(dir); }
  ~TempDir() { std::filesystem::remove_all(dir); }
  std::string db() const { return (dir / "vsp.db").string(); }
};

events::Event event(const char* type, std::int64_t ts_ms) {
  events::Event e;
  e.id = events::make_uuid_v7(ts_ms);
  e.camera = "gate";
  e.type = type;
  e.rule = "r";
  e.class_name = "car";
  e.track_id = 1;
  e.ts_utc_ms = ts_ms;
  if (std::string(type) == "line_crossing") e.direction = "in";
  return e;
}

auth::AuditRecord audit_at(std::int64_t ts_ms, const std::string& action) {
  auth::AuditRecord r;
  r.ts_ms = ts_ms;
  r.user = "alice";
  r.role = "operator";
  r.address = "127.0.0.1";
  r.action = action;
  r.result = "ok";
  return r;
}

std::string errors_of(const std::string& yaml) {
  auto r = config::parse_serve_config(yaml, "s.yml");
  std::string out;
  if (const auto* e = std::get_if<config::ConfigErrors>(&r))
    for (const auto& x : *e) out += x.to_string() + "\n";
  return out;
}

}  // namespace

TEST(RetentionKinds, audit_must_be_kept_at_least_as_long_as_every_other_kind) {
  const std::string head = "cameras: [{name: a, record_url: x}]\nstorage:\n  retention:\n";
  EXPECT_EQ(errors_of(head + "    max_age_days: 30\n    events_max_age_days: 90\n    snapshots_max_age_days: 30\n"
                             "    plate_reads_max_age_days: 7\n    audit_max_age_days: 365\n"),
            "");
  const auto shorter = errors_of(head +
                                 "    max_age_days: 30\n    events_max_age_days: 400\n    snapshots_max_age_days: 30\n"
                                 "    plate_reads_max_age_days: 7\n    audit_max_age_days: 365\n");
  EXPECT_NE(shorter.find("s.yml:8: storage.retention.audit_max_age_days: the audit log must be kept at least as long"),
            std::string::npos)
      << shorter;
  EXPECT_NE(shorter.find("shorter than events_max_age_days (400 days)"), std::string::npos) << shorter;
  const auto unset = errors_of(head + "    audit_max_age_days: 365\n");
  EXPECT_NE(unset.find("shorter than events_max_age_days (not set"), std::string::npos) << unset;
  EXPECT_EQ(errors_of(head + "    plate_reads_max_age_days: 7\n"), "");  // no audit age: kept forever
}

TEST(RetentionKinds, pruning_the_audit_log_keeps_an_anchor_the_rest_of_the_chain_verifies_from) {
  TempDir t;
  auto st = auth::AuthStore::open(t.db()).value();
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(st->append_audit(audit_at(i * 1000, "search_events")).ok());
  auto n = st->prune_audit(5500, 20'000);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 5);
  const auto rest = st->audit();
  ASSERT_EQ(rest.size(), 5u);
  EXPECT_EQ(rest.front().seq, 6);
  const auto anchor = st->audit_anchor();
  EXPECT_EQ(anchor.first_seq, 6);
  EXPECT_FALSE(auth::verify_audit_chain(rest, anchor));
  EXPECT_TRUE(auth::verify_audit_chain(rest));  // without the anchor the cut shows
  // Above the anchor the log stays append-only.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(t.db().c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit_log WHERE seq = 7", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit_pruned", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  // Everything cut: the next record still follows the anchor.
  auto all = st->prune_audit(1'000'000, 20'000);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(*all, 5);
  EXPECT_TRUE(st->audit().empty());
  auto next = st->append_audit(audit_at(30'000, "login"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->seq, 11);
  EXPECT_EQ(next->prev_hash, rest.back().hash);
  EXPECT_FALSE(auth::verify_audit_chain(st->audit(), st->audit_anchor()));
}

TEST(RetentionKinds, the_node_prunes_aged_rows_of_each_kind_by_its_own_age) {
  TempDir t;
  const std::int64_t now = core::wall_clock_ms();
  {
    auto s = store::Store::open(t.db()).value();
    s->write(event("line_crossing", now - 40 * kDay));  // past events_max_age_days (30)
    s->write(event("line_crossing", now - 10 * kDay));  // kept
    s->write(event("plate_read", now - 10 * kDay));     // past plate_reads_max_age_days (7)
    s->write(event("plate_read", now - 1 * kDay));      // kept
    auto a = auth::AuthStore::open(t.db()).value();
    ASSERT_TRUE(a->append_audit(audit_at(now - 400 * kDay, "login")).ok());  // past audit_max_age_days (365)
    ASSERT_TRUE(a->append_audit(audit_at(now - 380 * kDay, "clip")).ok());   // past
    ASSERT_TRUE(a->append_audit(audit_at(now - 1 * kDay, "search_events")).ok());
  }
  config::ServeConfig cfg;
  cfg.storage_path = t.dir.string();
  cfg.events_max_age_days = 30;
  cfg.plate_reads_max_age_days = 7;
  cfg.audit_max_age_days = 365;
  auto node = pipeline::Node::create(cfg);
  ASSERT_TRUE(node.ok()) << node.error().message;
  (*node)->apply_retention();
  const auto st = (*node)->storage();
  EXPECT_EQ(st.events_pruned, 1);
  EXPECT_EQ(st.plate_reads_pruned, 1);
  EXPECT_EQ(st.audit_pruned, 2);
  EXPECT_GT(st.retention_applied_ms, 0);
  store::EventQuery q;
  q.limit = 100;
  const auto left = (*node)->store().events(q).value().events_json;
  ASSERT_EQ(left.size(), 2u);
  EXPECT_NE(left[0].find("line_crossing"), std::string::npos);
  EXPECT_NE(left[1].find("plate_read"), std::string::npos);
  auto a = auth::AuthStore::open(t.db()).value();
  const auto recs = a->audit();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].action, "search_events");
  EXPECT_FALSE(auth::verify_audit_chain(recs, a->audit_anchor()));
}
