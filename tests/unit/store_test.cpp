// The node store on a real SQLite file with the real migrations.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "core/log.hpp"
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

// ---- A full disk on demand: a VFS shim over SQLite's own that refuses writes while `g_full` ----
// The store, SQLite and the file are real; only the disk's answer to a write is injected.
namespace faultvfs {
std::atomic<bool> g_full{false};
sqlite3_vfs* g_real = nullptr;
sqlite3_vfs g_vfs;
struct File {
  sqlite3_file base;
  sqlite3_file* real;
};
sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }
int x_close(sqlite3_file* f) {
  const int rc = real(f)->pMethods->xClose(real(f));
  sqlite3_free(real(f));
  return rc;
}
int x_read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) { return real(f)->pMethods->xRead(real(f), b, n, o); }
int x_write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
  return g_full ? SQLITE_FULL : real(f)->pMethods->xWrite(real(f), b, n, o);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 n) { return real(f)->pMethods->xTruncate(real(f), n); }
int x_sync(sqlite3_file* f, int fl) { return real(f)->pMethods->xSync(real(f), fl); }
int x_size(sqlite3_file* f, sqlite3_int64* n) { return real(f)->pMethods->xFileSize(real(f), n); }
int x_lock(sqlite3_file* f, int l) { return real(f)->pMethods->xLock(real(f), l); }
int x_unlock(sqlite3_file* f, int l) { return real(f)->pMethods->xUnlock(real(f), l); }
int x_reserved(sqlite3_file* f, int* r) { return real(f)->pMethods->xCheckReservedLock(real(f), r); }
int x_control(sqlite3_file* f, int op, void* a) { return real(f)->pMethods->xFileControl(real(f), op, a); }
int x_sector(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int x_device(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
int x_shm_map(sqlite3_file* f, int i, int sz, int ext, void volatile** p) {
  return real(f)->pMethods->xShmMap(real(f), i, sz, ext, p);
}
int x_shm_lock(sqlite3_file* f, int o, int n, int fl) { return real(f)->pMethods->xShmLock(real(f), o, n, fl); }
void x_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int x_shm_unmap(sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); }
int x_fetch(sqlite3_file* f, sqlite3_int64 o, int n, void** p) { return real(f)->pMethods->xFetch(real(f), o, n, p); }
int x_unfetch(sqlite3_file* f, sqlite3_int64 o, void* p) { return real(f)->pMethods->xUnfetch(real(f), o, p); }
const sqlite3_io_methods g_methods = {
    3,         x_close,  x_read,   x_write,   x_truncate, x_sync,        x_size,      x_lock,  x_unlock, x_reserved,
    x_control, x_sector, x_device, x_shm_map, x_shm_lock, x_shm_barrier, x_shm_unmap, x_fetch, x_unfetch};
int x_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out) {
  auto* ff = reinterpret_cast<File*>(f);
  ff->base.pMethods = nullptr;
  ff->real = static_cast<sqlite3_file*>(sqlite3_malloc(g_real->szOsFile));
  std::memset(ff->real, 0, static_cast<size_t>(g_real->szOsFile));
  const int rc = g_real->xOpen(g_real, name, ff->real, flags, out);
  if (rc != SQLITE_OK) {
    if (ff->real->pMethods) ff->real->pMethods->xClose(ff->real);
    sqlite3_free(ff->real);
    return rc;
  }
  ff->base.pMethods = &g_methods;
  return SQLITE_OK;
}
/// Makes the shim SQLite's default VFS for the life of the object.
struct Installed {
  Installed() {
    g_real = sqlite3_vfs_find(nullptr);
    g_vfs = *g_real;
    g_vfs.zName = "vsp_faultvfs";
    g_vfs.szOsFile = sizeof(File);
    g_vfs.xOpen = x_open;
    sqlite3_vfs_register(&g_vfs, 1);
    g_full = false;
  }
  ~Installed() {
    g_full = false;
    sqlite3_vfs_unregister(&g_vfs);
    sqlite3_vfs_register(g_real, 1);
  }
};
}  // namespace faultvfs

/// Collects the store's log lines for the life of the object.
struct LogCapture {
  std::mutex m;
  std::vector<std::pair<core::LogLevel, std::string>> lines;
  LogCapture() {
    core::set_log_sink([this](core::LogLevel l, std::string_view, std::string_view msg) {
      std::lock_guard lock(m);
      lines.emplace_back(l, std::string(msg));
    });
  }
  ~LogCapture() { core::set_log_sink(nullptr); }
  int count(core::LogLevel level, const std::string& part = "") {
    std::lock_guard lock(m);
    int n = 0;
    for (const auto& [l, msg] : lines) n += l == level && msg.find(part) != std::string::npos;
    return n;
  }
  bool any(const std::string& part) {
    std::lock_guard lock(m);
    for (const auto& [l, msg] : lines)
      if (msg.find(part) != std::string::npos) return true;
    return false;
  }
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
    EXPECT_EQ((*s)->schema_version(), 2);
    (*s)->write(crossing(1000));
  }
  auto s = store::Store::open(db.path());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->schema_version(), 2);
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
  EXPECT_EQ(s->health().events_stored, 2);  // both deliveries are in the store: nothing to retry
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
  // `since` inside a minute: that minute counts whole (a query from 00:00:15 sees the 00:00:20 event).
  q.bucket_ms = 60'000;
  q.since_ms = 15'000;
  pts = s->counts(q).value();
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[0].n, 2);
  q.since_ms = 60'000;  // the first minute ends here: only the second
  pts = s->counts(q).value();
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].key, "out");
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
  ASSERT_TRUE(s->add_export("gate", 1000, 2000, "exports/x.mp4", 3000).ok());
  ASSERT_EQ(s->keep_ranges().size(), 1u);
  EXPECT_TRUE(s->delete_segments({rows[0].id}).ok());
  EXPECT_TRUE(s->segments(std::nullopt, 0, 10'000, false).empty());
}

TEST(Store, oldest_segments_lists_complete_ones_oldest_first) {
  TempDb db;
  auto s = store::Store::open(db.path()).value();
  for (std::int64_t t : {3000, 1000, 2000}) {
    record::SegmentFile f{"gate", "recordings/gate/" + std::to_string(t) + ".ts", t, t + 1000, 10};
    ASSERT_TRUE(s->segment_closed(f).ok());  // closing without an opening row inserts it
  }
  ASSERT_TRUE(s->segment_opened({"gate", "recordings/gate/open.ts", 500, 0, 0}).ok());  // still open
  const auto rows = s->oldest_segments(2);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].file.start_ms, 1000);
  EXPECT_EQ(rows[1].file.start_ms, 2000);
  EXPECT_EQ(s->recordings_bytes(), 30);
}

TEST(Store, prune_events_deletes_old_events_with_their_outbox_rows_and_keeps_counts) {
  TempDb db;
  auto s = store::Store::open(db.path()).value();
  s->write(crossing(1000));
  s->write(crossing(2000));
  s->write(crossing(90'000));
  auto n = s->prune_events(60'000);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(s->events({}).value().events_json.size(), 1u);
  EXPECT_EQ(s->outbox_size(), 1);
  store::CountQuery q;
  q.until_ms = 3'600'000;
  EXPECT_EQ(s->counts(q).value().size(), 2u);  // per-minute counts are the long-term record
}

TEST(Store, a_refused_event_waits_in_memory_and_is_stored_in_order_when_the_disk_has_room) {
  faultvfs::Installed vfs;
  LogCapture logs;
  TempDb db;
  auto s = store::Store::open(db.path()).value();
  s->write(crossing(1000));
  faultvfs::g_full = true;
  for (int i = 2; i <= 6; ++i) s->write(crossing(1000 * i));
  auto h = s->health();
  EXPECT_FALSE(h.ok);
  EXPECT_TRUE(h.full);
  EXPECT_EQ(h.events_received, 6);
  EXPECT_EQ(h.events_stored, 1);
  EXPECT_EQ(h.events_pending, 5);
  EXPECT_EQ(h.event_write_failures, 5);  // one attempt per write: the queue head fails, the rest wait
  EXPECT_EQ(h.events_dropped, 0);
  EXPECT_NE(h.last_error.find("full"), std::string::npos) << h.last_error;
  EXPECT_EQ(s->events({}).value().events_json.size(), 1u);  // reads still work
  EXPECT_EQ(logs.count(core::LogLevel::error), 1);          // once per state change, not per event

  faultvfs::g_full = false;
  EXPECT_EQ(s->retry_pending(), 0);
  h = s->health();
  EXPECT_TRUE(h.ok);
  EXPECT_EQ(h.events_stored, 6);
  EXPECT_EQ(h.events_pending, 0);
  const auto page = s->events({}).value();
  ASSERT_EQ(page.events_json.size(), 6u);
  EXPECT_NE(page.events_json[5].find("\"ts_utc\":\"1970-01-01T00:00:06.000Z\""), std::string::npos);
  EXPECT_EQ(s->outbox_size(), 6);
  store::CountQuery q;
  q.until_ms = 3'600'000;
  const auto counts = s->counts(q).value();
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].n, 6);  // each event counted once, none twice after the failed commits
  EXPECT_EQ(logs.count(core::LogLevel::info, "store writes again"), 1);
  EXPECT_FALSE(logs.any("no transaction is active"));
  EXPECT_FALSE(logs.any("cannot rollback"));
}

TEST(Store, pending_events_are_bounded_and_the_oldest_dropped_and_counted) {
  faultvfs::Installed vfs;
  LogCapture logs;
  TempDb db;
  store::StoreOptions o;
  o.max_pending_events = 2;
  auto s = store::Store::open(db.path(), o).value();
  faultvfs::g_full = true;
  for (int i = 1; i <= 5; ++i) s->write(crossing(1000 * i));
  auto h = s->health();
  EXPECT_EQ(h.events_pending, 2);
  EXPECT_EQ(h.events_dropped, 3);
  EXPECT_EQ(logs.count(core::LogLevel::error, "dropping the oldest"), 1);
  faultvfs::g_full = false;
  s->write(crossing(6000));
  h = s->health();
  EXPECT_EQ(h.events_stored, 3);
  EXPECT_EQ(h.events_pending, 0);
  const auto page = s->events({}).value();
  ASSERT_EQ(page.events_json.size(), 3u);
  EXPECT_NE(page.events_json[0].find("00:00:04.000Z"), std::string::npos);  // 4, 5 and 6 survive
}

TEST(Store, a_segment_row_refused_by_a_full_disk_is_indexed_once_there_is_room) {
  faultvfs::Installed vfs;
  LogCapture logs;
  TempDb db;
  auto s = store::Store::open(db.path()).value();
  ASSERT_TRUE(s->segment_closed({"gate", "recordings/gate/old.ts", 0, 1000, 10}).ok());
  const auto old_id = s->oldest_segments(1).at(0).id;
  record::SegmentFile f{"gate", "recordings/gate/a.ts", 1000, 0, 0};
  faultvfs::g_full = true;
  EXPECT_FALSE(s->segment_opened(f).ok());
  f.end_ms = 5000;
  f.bytes = 1234;
  EXPECT_FALSE(s->segment_closed(f).ok());
  auto h = s->health();
  EXPECT_EQ(h.index_write_failures, 2);
  EXPECT_EQ(h.index_pending, 1);
  EXPECT_FALSE(s->delete_segments({old_id}).ok());  // an error value, the transaction rolled back
  faultvfs::g_full = false;
  EXPECT_EQ(s->retry_pending(), 0);
  const auto rows = s->segments(std::string("gate"), 0, 10'000, true);
  ASSERT_EQ(rows.size(), 2u);  // the old one (its delete failed) and the new one, complete
  EXPECT_EQ(rows[1].file.end_ms, 5000);
  EXPECT_EQ(rows[1].file.bytes, 1234);
  EXPECT_TRUE(s->health().ok);
  EXPECT_TRUE(s->delete_segments({old_id}).ok());
  EXPECT_FALSE(logs.any("no transaction is active"));
}

TEST(Store, counters_tell_the_truth_when_the_disk_fails_now_and_then) {
  faultvfs::Installed vfs;
  LogCapture logs;
  TempDb db;
  auto s = store::Store::open(db.path()).value();
  unsigned x = 12345;
  for (int i = 1; i <= 400; ++i) {
    x = x * 1103515245u + 12345u;
    faultvfs::g_full = (x >> 16) % 3 == 0;
    s->write(crossing(1000 * i));
    if (i % 7 == 0) s->retry_pending();
  }
  faultvfs::g_full = false;
  EXPECT_EQ(s->retry_pending(), 0);
  const auto h = s->health();
  std::int64_t rows = 0;
  store::EventQuery q;
  q.limit = 1000;
  rows = static_cast<std::int64_t>(s->events(q).value().events_json.size());
  EXPECT_EQ(h.events_received, 400);
  EXPECT_EQ(rows, 400);
  EXPECT_EQ(h.events_stored, 400);
  EXPECT_EQ(h.events_received, h.events_stored + h.events_pending + h.events_dropped);
  EXPECT_EQ(s->outbox_size(), 400);
  EXPECT_GT(h.event_write_failures, 0);
}
