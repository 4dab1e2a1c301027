// The node store on a real SQLite file with the real migrations.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "events/event_json.hpp"
#include "store/store.hpp"

using namespace vsp;

namespace {
struct TempDb {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("vsp_store_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                               "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDb() { std::filesystem::create_directories(dir); }
  ~TempDb() { std::filesystem::remove_all(dir); }
  std::string path() const { return (dir / "vsp.db").string(); }
};

events::Event crossing(std::int64_t ts_ms, const char* dir = "in", const char* camera = "gate") {
  events::Event e;
  e.id = events::make_uuid_v7(ts_ms);
  e.camera = camera;
  e.type = "line_crossing";
  e.rule = "mid";
  e.direction = dir;
  e.class_name = "car";
  e.track_id = 1;
  e.ts_utc_ms = ts_ms;
  return e;
}
}  // namespace

TEST(Store, migrations_apply_once_and_survive_reopening) {
  TempDb db;
  {
    auto s = store::Store::open(db.path());
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ((*s)->schema_version(), 1);
    (*s)->write(crossing(1000));
  }
  auto s = store::Store::open(db.path());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->schema_version(), 1);
  EXPECT_EQ((*s)->events({}).value().events_json.size(), 1u);
}

TEST(Store, event_and_outbox_row_are_written_together_and_duplicates_ignored) {
  TempDb db;
  auto s = store::Store::open(db.path()).value();
  const auto e = crossing(1000);
  s->write(e);
  s->write(e);  // the same id again (a retried delivery)
  EXPECT_EQ(s->events({}).value().events_json.size(), 1u);
  EXPECT_EQ(s->outbox_size(), 1);
}

TEST(Store, events_newest_first_page_through_every_event_once) {
  TempDb db;
  auto s = store::Store::open(db.path()).value();
  for (int i = 0; i < 7; ++i) s->write(crossing(1000 + 10 * (i % 4)));  // ties on ts_ms
  store::EventQuery q;
  q.newest_first = true;
  q.limit = 3;
  std::vector<std::int64_t> seen;
  for (int page = 0; page < 5; ++page) {
    auto p = s->events(q);
    ASSERT_TRUE(p.ok());
    for (const auto& j : p->events_json) seen.push_back(events::from_json_line(j).value().ts_utc_ms);
    if (!p->next_cursor) break;
    q.cursor = p->next_cursor;
  }
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend())) << "newest first";
  EXPECT_EQ(seen.front(), 1030);
  // A cursor of one order is refused in the other.
  store::EventQuery asc;
  asc.cursor = q.cursor;
  ASSERT_TRUE(asc.cursor.has_value());
  EXPECT_FALSE(s->events(asc).ok());
}

TEST(Store, events_filter_and_paginate_in_time_order) {
  TempDb db;
  auto s = store::Store::open(db.path()).value();
  for (int i = 0; i < 5; ++i) s->write(crossing(1000 * (5 - i), i % 2 ? "out" : "in", i < 3 ? "gate" : "door"));
  store::EventQuery q;
  q.limit = 2;
  auto p1 = s->events(q).value();
  ASSERT_EQ(p1.events_json.size(), 2u);
  ASSERT_TRUE(p1.next_cursor.has_value());
  EXPECT_NE(p1.events_json[0].find("\"ts_utc\":\"1970-01-01T00:00:01.000Z\""), std::string::npos);
  q.cursor = p1.next_cursor;
  auto p2 = s->events(q).value();
  q.cursor = p2.next_cursor;
  auto p3 = s->events(q).value();
  EXPECT_EQ(p2.events_json.size() + p3.events_json.size(), 3u);
  EXPECT_FALSE(p3.next_cursor.has_value());
  store::EventQuery g;
  g.camera = "gate";
  g.since_ms = 4000;  // gate events are at 5000, 4000, 3000
  EXPECT_EQ(s->events(g).value().events_json.size(), 2u);
  store::EventQuery bad;
  bad.cursor = "garbage";
  EXPECT_FALSE(s->events(bad).ok());
}

TEST(Store, counts_aggregate_per_bucket_and_direction) {
  TempDb db;
  auto s = store::Store::open(db.path()).value();
  s->write(crossing(10'000, "in"));
  s->write(crossing(20'000, "in"));
  s->write(crossing(70'000, "out"));
  store::CountQuery q;
  q.since_ms = 0;
  q.until_ms = 3'600'000;
  q.bucket_ms = 60'000;
  auto pts = s->counts(q).value();
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[0].key, "in");
  EXPECT_EQ(pts[0].n, 2);
  EXPECT_EQ(pts[1].key, "out");
  EXPECT_EQ(pts[1].bucket_start_ms, 60'000);
  q.bucket_ms = 3'600'000;
  EXPECT_EQ(s->counts(q).value().size(), 2u);  // one bucket, two keys
}

TEST(Store, segments_are_indexed_open_then_closed) {
  TempDb db;
  auto s = store::Store::open(db.path()).value();
  record::SegmentFile f{"gate", "recordings/gate/a.ts", 1000, 0, 0};
  ASSERT_TRUE(s->segment_opened(f).ok());
  EXPECT_EQ(s->incomplete_segments().size(), 1u);
  f.end_ms = 5000;
  f.bytes = 1234;
  ASSERT_TRUE(s->segment_closed(f).ok());
  EXPECT_TRUE(s->incomplete_segments().empty());
  const auto rows = s->segments(std::string("gate"), 0, 10'000, true);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].file.bytes, 1234);
  EXPECT_EQ(s->recordings_bytes(), 1234);
  s->add_export("gate", 1000, 2000, "exports/x.mp4", 3000);
  ASSERT_EQ(s->keep_ranges().size(), 1u);
  s->delete_segments({rows[0].id});
  EXPECT_TRUE(s->segments(std::nullopt, 0, 10'000, false).empty());
}
