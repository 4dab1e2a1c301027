// Retention per kind on the node: recordings, events, snapshots, plate reads and the audit log
// each with an age of their own; the audit log kept the longest, its chain anchored where cut.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
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

// ---- Evidence packs: their own age (storage.retention.evidence_max_age_days), not the recordings' ----
namespace {

/// A pack folder whose manifest was sealed `age_days` ago (a pack's age is its manifest's).
void make_pack(const std::filesystem::path& root, const std::string& id, double age_days) {
  const auto dir = root / "evidence" / id;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "event.json") << "{}\n";
  std::ofstream(dir / "manifest.json") << "{}\n";
  std::filesystem::last_write_time(dir / "manifest.json",
                                   std::filesystem::file_time_type::clock::now() -
                                       std::chrono::duration_cast<std::filesystem::file_time_type::duration>(
                                           std::chrono::duration<double, std::ratio<86400>>(age_days)));
}

/// A recorded segment file of `age_days` ago, indexed in the store.
void make_segment(store::Store& s, const std::filesystem::path& root, const std::string& name, std::int64_t start_ms) {
  const std::string rel = "recordings/gate/" + name + ".ts";
  std::filesystem::create_directories(root / "recordings" / "gate");
  std::ofstream(root / rel) << std::string(1000, 'x');
  ASSERT_TRUE(s.segment_closed({"gate", rel, start_ms, start_ms + 4000, 1000}).ok());
}

struct LogLines {
  std::vector<std::string> lines;
  LogLines() {
    core::set_log_sink([this](core::LogLevel, std::string_view, std::string_view m) { lines.emplace_back(m); });
  }
  ~LogLines() { core::set_log_sink(nullptr); }
  bool has(const std::string& text) const {
    return std::any_of(lines.begin(), lines.end(), [&](const auto& l) { return l.find(text) != std::string::npos; });
  }
};

}  // namespace

TEST(RetentionKinds, evidence_packs_outlive_the_recordings_they_came_from_until_their_own_age) {
  TempDir t;
  const std::int64_t now = core::wall_clock_ms();
  {
    auto s = store::Store::open(t.db()).value();
    make_segment(*s, t.dir, "old", now - 5 * kDay);  // past max_age_days (2)
    make_segment(*s, t.dir, "new", now - 3'600'000);
  }
  make_pack(t.dir, "0190aaaa-0000-7000-8000-000000000001", 40);  // past evidence_max_age_days (30)
  make_pack(t.dir, "0190aaaa-0000-7000-8000-000000000002", 5);   // as old as the pruned recording: kept
  config::ServeConfig cfg;
  cfg.storage_path = t.dir.string();
  cfg.max_age_days = 2;
  cfg.evidence_max_age_days = 30;
  LogLines log;
  auto node = pipeline::Node::create(cfg);
  ASSERT_TRUE(node.ok()) << node.error().message;
  (*node)->apply_retention();
  EXPECT_FALSE(std::filesystem::exists(t.dir / "recordings/gate/old.ts"));  // the recordings' rule ran
  EXPECT_TRUE(std::filesystem::exists(t.dir / "recordings/gate/new.ts"));
  EXPECT_EQ((*node)->storage().segments_deleted, 1);
  EXPECT_FALSE(std::filesystem::exists(t.dir / "evidence/0190aaaa-0000-7000-8000-000000000001"));
  EXPECT_TRUE(std::filesystem::exists(t.dir / "evidence/0190aaaa-0000-7000-8000-000000000002/manifest.json"));
  EXPECT_EQ((*node)->storage().evidence_pruned, 1);
  EXPECT_TRUE(log.has("retention deleted 1 evidence pack(s) older than 30 day(s)"));
  EXPECT_NE((*node)->metrics_text().find("vsp_retention_evidence_pruned_total 1"), std::string::npos);
}

TEST(RetentionKinds, evidence_packs_go_by_their_own_age_even_when_recordings_are_kept_longer) {
  TempDir t;
  const std::int64_t now = core::wall_clock_ms();
  {
    auto s = store::Store::open(t.db()).value();
    make_segment(*s, t.dir, "old", now - 5 * kDay);  // within max_age_days (30)
  }
  make_pack(t.dir, "0190bbbb-0000-7000-8000-000000000001", 5);  // past evidence_max_age_days (3)
  make_pack(t.dir, "0190bbbb-0000-7000-8000-000000000002", 1);
  config::ServeConfig cfg;
  cfg.storage_path = t.dir.string();
  cfg.max_age_days = 30;
  cfg.evidence_max_age_days = 3;
  auto node = pipeline::Node::create(cfg);
  ASSERT_TRUE(node.ok()) << node.error().message;
  (*node)->apply_retention();
  EXPECT_TRUE(std::filesystem::exists(t.dir / "recordings/gate/old.ts"));
  EXPECT_EQ((*node)->storage().segments_deleted, 0);
  EXPECT_FALSE(std::filesystem::exists(t.dir / "evidence/0190bbbb-0000-7000-8000-000000000001"));
  EXPECT_TRUE(std::filesystem::exists(t.dir / "evidence/0190bbbb-0000-7000-8000-000000000002"));
  EXPECT_EQ((*node)->storage().evidence_pruned, 1);
}

TEST(RetentionKinds, without_an_evidence_age_packs_are_kept_while_recordings_are_pruned) {
  TempDir t;
  const std::int64_t now = core::wall_clock_ms();
  {
    auto s = store::Store::open(t.db()).value();
    make_segment(*s, t.dir, "old", now - 5 * kDay);
  }
  make_pack(t.dir, "0190cccc-0000-7000-8000-000000000001", 400);
  config::ServeConfig cfg;
  cfg.storage_path = t.dir.string();
  cfg.max_age_days = 1;
  auto node = pipeline::Node::create(cfg);
  ASSERT_TRUE(node.ok()) << node.error().message;
  (*node)->apply_retention();
  EXPECT_FALSE(std::filesystem::exists(t.dir / "recordings/gate/old.ts"));
  EXPECT_TRUE(std::filesystem::exists(t.dir / "evidence/0190cccc-0000-7000-8000-000000000001/manifest.json"));
  EXPECT_EQ((*node)->storage().evidence_pruned, 0);
}
