#include "store/store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include "core/log.hpp"
#include "events/event_json.hpp"
#include "store/sqlite.hpp"

namespace vsp::store {

using core::make_error;

namespace {

const core::Logger kLog("store");

// ---- Migrations: append only; each runs once, in order, inside a transaction ------------------
const char* const kMigrations[] = {
    // 1: events, outbox, counts, segments, exports
    R"(CREATE TABLE events(id TEXT PRIMARY KEY, camera TEXT NOT NULL, type TEXT NOT NULL, rule TEXT NOT NULL,
                           ts_ms INTEGER NOT NULL, json TEXT NOT NULL);
       CREATE INDEX events_ts ON events(ts_ms, id);
       CREATE INDEX events_camera_ts ON events(camera, ts_ms);
       CREATE TABLE outbox(event_id TEXT PRIMARY KEY REFERENCES events(id), created_ms INTEGER NOT NULL);
       CREATE TABLE counts(camera TEXT NOT NULL, rule TEXT NOT NULL, minute_ms INTEGER NOT NULL, key TEXT NOT NULL,
                           n INTEGER NOT NULL, PRIMARY KEY(camera, rule, minute_ms, key));
       CREATE TABLE segments(id INTEGER PRIMARY KEY, camera TEXT NOT NULL, path TEXT NOT NULL UNIQUE,
                             start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL DEFAULT 0,
                             bytes INTEGER NOT NULL DEFAULT 0, complete INTEGER NOT NULL DEFAULT 0);
       CREATE INDEX segments_camera_start ON segments(camera, start_ms);
       CREATE TABLE exports(id INTEGER PRIMARY KEY, camera TEXT NOT NULL, start_ms INTEGER NOT NULL,
                            end_ms INTEGER NOT NULL, path TEXT NOT NULL, created_ms INTEGER NOT NULL);)",
    // 2: retention reads the oldest complete segments every pass
    R"(CREATE INDEX segments_complete_start ON segments(complete, start_ms, id);)",
};

using sqlite::exec;
using sqlite::Stmt;

/// Runs `sql` quietly: the caller decides what to log.
bool exec_quiet(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

/// Failures that may pass (space, permissions, I/O, locks): the write is kept and retried.
/// Anything else (a constraint, a bug) would fail forever and must not block the queue.
bool transient(int code) {
  switch (code & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
    case SQLITE_ERROR:  // e.g. a prepare that could not read the schema
      return true;
    default:
      return false;
  }
}

/// The error of the statement that just failed, with the open transaction (if SQLite has not
/// ended it itself, as it does on some I/O errors) rolled back. Codes: `store_full` (no space),
/// `store_write_failed` (transient), `store_write_rejected` (will never succeed).
core::Error fail_and_rollback(sqlite3* db, const std::string& what) {
  const int code = sqlite3_extended_errcode(db);
  std::string msg = fmt::format("{}: {}", what, sqlite3_errmsg(db));
  if (!sqlite3_get_autocommit(db)) exec_quiet(db, "ROLLBACK");
  const char* c = (code & 0xff) == SQLITE_FULL ? "store_full"
                  : transient(code)            ? "store_write_failed"
                                               : "store_write_rejected";
  return make_error(c, std::move(msg));
}

std::string count_key(const events::Event& e) {
  if (e.type == "line_crossing") return e.direction;
  if (e.type == "zone_enter") return "enter";
  if (e.type == "zone_exit") return "exit";
  return e.type;
}

}  // namespace

core::Result<std::unique_ptr<Store>> Store::open(const std::string& path, StoreOptions options) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return make_error("store_open_failed", fmt::format("{}: cannot open the database: {}", path, msg));
  }
  std::unique_ptr<Store> s(new Store(db, options));
  sqlite3_busy_timeout(db, 5000);
  exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)");
  const int have = s->schema_version();
  const int want = static_cast<int>(std::size(kMigrations));
  if (have > want)
    return make_error("store_too_new",
                      fmt::format("{}: database schema {} is newer than this vsp ({}): upgrade vsp", path, have, want));
  for (int v = have + 1; v <= want; ++v) {
    if (!exec(db, "BEGIN") || !exec(db, kMigrations[v - 1]) ||
        !exec(db, fmt::format("INSERT INTO schema_migrations VALUES({}, strftime('%s','now')*1000)", v).c_str()) ||
        !exec(db, "COMMIT")) {
      const auto e = fail_and_rollback(db, fmt::format("{}: migration {} failed", path, v));
      return make_error("store_migration_failed", e.message);
    }
  }
  return s;
}

Store::~Store() {
  {
    std::lock_guard lock(m_);
    flush_locked();
    if (!pending_events_.empty() || !pending_segments_.empty())
      kLog.error("closing with {} event(s) and {} segment row(s) that could not be stored: they are lost ({})",
                 pending_events_.size(), pending_segments_.size(), health_.last_error);
  }
  sqlite3_close(db_);
}

int Store::schema_version() {
  Stmt q(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  return q.step() ? static_cast<int>(q.i64(0)) : 0;
}

// ---- Events: write, keep what fails, retry in order ------------------------------------------

core::Status Store::insert_event_locked(const events::Event& e) {
  const auto fail = [&](const char* step) {
    return fail_and_rollback(db_, fmt::format("event {} not stored ({})", e.id, step));
  };
  if (!exec_quiet(db_, "BEGIN IMMEDIATE")) return fail("begin");
  {
    Stmt ins(db_, "INSERT OR IGNORE INTO events(id, camera, type, rule, ts_ms, json) VALUES(?,?,?,?,?,?)");
    ins.bind(1, e.id)
        .bind(2, e.camera)
        .bind(3, e.type)
        .bind(4, e.rule)
        .bind(5, e.ts_utc_ms)
        .bind(6, events::to_json_line(e));
    if (ins.run() != SQLITE_DONE) return fail("event row");
  }
  const bool inserted = sqlite3_changes(db_) == 1;
  if (inserted) {
    Stmt ob(db_, "INSERT INTO outbox(event_id, created_ms) VALUES(?, ?)");
    if (ob.bind(1, e.id).bind(2, e.ts_utc_ms).run() != SQLITE_DONE) return fail("outbox row");
    Stmt c(db_,
           "INSERT INTO counts(camera, rule, minute_ms, key, n) VALUES(?,?,?,?,1) "
           "ON CONFLICT(camera, rule, minute_ms, key) DO UPDATE SET n = n + 1");
    c.bind(1, e.camera).bind(2, e.rule).bind(3, e.ts_utc_ms / 60'000 * 60'000).bind(4, count_key(e));
    if (c.run() != SQLITE_DONE) return fail("count");
  }
  // A failed COMMIT may end the transaction by itself (I/O errors) or leave it open (busy, full):
  // fail_and_rollback rolls back only what is still open.
  if (!exec_quiet(db_, "COMMIT")) return fail("commit");
  ++health_.events_stored;  // new, or already there (a retried delivery, or a commit reported failed)
  return core::Ok{};
}

void Store::note_failure_locked(const core::Error& e, const char* what) {
  const bool changed = health_.ok || (e.code == "store_full") != health_.full;
  health_.ok = false;
  health_.full = e.code == "store_full";
  health_.last_error = e.message;
  ++failures_in_spell_;
  if (changed)
    kLog.error("{} cannot be stored: {}; kept in memory{} and retried", what, e.message,
               std::string_view(what) == "events" ? fmt::format(" (up to {})", options_.max_pending_events) : "");
}

void Store::note_success_locked() {
  if (health_.ok) return;
  if (!pending_events_.empty() || !pending_segments_.empty()) return;
  kLog.info("store writes again after {} failed attempt(s); nothing pending ({} event(s) dropped in all)",
            failures_in_spell_, health_.events_dropped);
  health_.ok = true;
  health_.full = false;
  failures_in_spell_ = 0;
  drop_logged_ = false;
}

void Store::flush_locked() {
  bool progress = false;
  while (!pending_segments_.empty()) {
    if (auto st = close_segment_locked(pending_segments_.front()); !st) {
      ++health_.index_write_failures;
      note_failure_locked(st.error(), "segment rows");
      break;
    }
    pending_segments_.pop_front();
    progress = true;
  }
  while (!pending_events_.empty()) {
    auto st = insert_event_locked(pending_events_.front());
    if (!st) {
      ++health_.event_write_failures;
      if (st.error().code == "store_write_rejected") {  // would block the queue forever
        kLog.error("{}; dropping it", st.error().message);
        ++health_.events_dropped;
        pending_events_.pop_front();
        continue;
      }
      note_failure_locked(st.error(), "events");
      break;
    }
    pending_events_.pop_front();
    progress = true;
  }
  // Bounded: beyond max_pending_events the oldest go, counted and said once per spell.
  while (static_cast<std::int64_t>(pending_events_.size()) > std::max(0, options_.max_pending_events)) {
    if (!drop_logged_)
      kLog.error("{} events wait for the database: dropping the oldest ({})", pending_events_.size(),
                 health_.last_error);
    drop_logged_ = true;
    pending_events_.pop_front();
    ++health_.events_dropped;
  }
  if (progress || (pending_events_.empty() && pending_segments_.empty())) note_success_locked();
  health_.events_pending = static_cast<std::int64_t>(pending_events_.size());
  health_.index_pending = static_cast<std::int64_t>(pending_segments_.size());
}

void Store::write(const events::Event& e) {
  std::lock_guard lock(m_);
  ++health_.events_received;
  pending_events_.push_back(e);
  flush_locked();
}

std::int64_t Store::retry_pending() {
  std::lock_guard lock(m_);
  if (!pending_events_.empty() || !pending_segments_.empty()) flush_locked();
  return static_cast<std::int64_t>(pending_events_.size() + pending_segments_.size());
}

StoreHealth Store::health() {
  std::lock_guard lock(m_);
  return health_;
}

core::Result<std::int64_t> Store::prune_events(std::int64_t before_ms, const std::optional<std::string>& type) {
  std::lock_guard lock(m_);
  const std::string only = type ? " AND type = ?" : "";
  if (!exec_quiet(db_, "BEGIN IMMEDIATE")) return fail_and_rollback(db_, "pruning events");
  Stmt ob(db_, ("DELETE FROM outbox WHERE event_id IN (SELECT id FROM events WHERE ts_ms < ?" + only + ")").c_str());
  ob.bind(1, before_ms);
  if (type) ob.bind(2, *type);
  if (ob.run() != SQLITE_DONE) return fail_and_rollback(db_, "pruning events (outbox)");
  Stmt ev(db_, ("DELETE FROM events WHERE ts_ms < ?" + only).c_str());
  ev.bind(1, before_ms);
  if (type) ev.bind(2, *type);
  if (ev.run() != SQLITE_DONE) return fail_and_rollback(db_, "pruning events");
  const std::int64_t n = sqlite3_changes(db_);
  if (!exec_quiet(db_, "COMMIT")) return fail_and_rollback(db_, "pruning events (commit)");
  return n;
}

core::Result<EventPage> Store::events(const EventQuery& q) {
  std::lock_guard lock(m_);
  // Keyset paging on (ts_ms, id); a cursor says which order it belongs to ("d" = newest first).
  const bool desc = q.newest_first;
  std::int64_t cur_ts = desc ? INT64_MAX : INT64_MIN;
  std::string cur_id = desc ? "~" : "";
  if (q.cursor) {
    std::string c = *q.cursor;
    const bool cursor_desc = !c.empty() && c[0] == 'd';
    if (cursor_desc) c.erase(0, 1);
    const auto sep = c.find('_');
    try {
      if (sep == std::string::npos || cursor_desc != desc) throw std::invalid_argument("no separator");
      cur_ts = std::stoll(c.substr(0, sep));
      cur_id = c.substr(sep + 1);
    } catch (const std::exception&) {
      return make_error("bad_cursor", "cursor is not one this server returned for this order", "cursor");
    }
  }
  const std::string sql = fmt::format(
      "SELECT json, ts_ms, id FROM events WHERE (?1 IS NULL OR camera = ?1) AND (?2 IS NULL OR type = ?2) "
      "AND (?3 IS NULL OR rule = ?3) AND (?4 IS NULL OR ts_ms >= ?4) AND (?5 IS NULL OR ts_ms < ?5) "
      "AND (ts_ms {0} ?6 OR (ts_ms = ?6 AND id {0} ?7)) ORDER BY ts_ms {1}, id {1} LIMIT ?8",
      desc ? "<" : ">", desc ? "DESC" : "ASC");
  Stmt s(db_, sql.c_str());
  s.bind_opt(1, q.camera).bind_opt(2, q.type).bind_opt(3, q.rule).bind_opt(4, q.since_ms).bind_opt(5, q.until_ms);
  s.bind(6, cur_ts).bind(7, cur_id).bind(8, static_cast<std::int64_t>(q.limit) + 1);
  EventPage page;
  std::int64_t last_ts = 0;
  std::string last_id;
  while (s.step()) {
    if (static_cast<int>(page.events_json.size()) == q.limit) {
      page.next_cursor = fmt::format("{}{}_{}", desc ? "d" : "", last_ts, last_id);
      break;
    }
    page.events_json.push_back(s.text(0));
    last_ts = s.i64(1);
    last_id = s.text(2);
  }
  return page;
}

core::Result<std::vector<CountPoint>> Store::counts(const CountQuery& q) {
  // A minute that overlaps [since, until) counts whole (the minute `since` falls in too).
  std::lock_guard lock(m_);
  Stmt s(db_,
         "SELECT camera, rule, key, (minute_ms / ?1) * ?1 AS b, SUM(n) FROM counts WHERE (?2 IS NULL OR camera = ?2) "
         "AND (?3 IS NULL OR rule = ?3) AND minute_ms > ?4 - 60000 AND minute_ms < ?5 GROUP BY camera, rule, key, b "
         "ORDER BY camera, rule, b, key");
  s.bind(1, q.bucket_ms).bind_opt(2, q.camera).bind_opt(3, q.rule).bind(4, q.since_ms).bind(5, q.until_ms);
  std::vector<CountPoint> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.i64(3), s.i64(4)});
  return out;
}

core::Status Store::add_count(const std::string& camera, const std::string& rule, std::int64_t ts_ms,
                              const std::string& key, std::int64_t n) {
  std::lock_guard lock(m_);
  Stmt c(db_,
         "INSERT INTO counts(camera, rule, minute_ms, key, n) VALUES(?,?,?,?,?) "
         "ON CONFLICT(camera, rule, minute_ms, key) DO UPDATE SET n = n + excluded.n");
  c.bind(1, camera).bind(2, rule).bind(3, ts_ms / 60'000 * 60'000).bind(4, key).bind(5, n);
  if (c.run() != SQLITE_DONE)
    return core::make_error("store_write_failed", fmt::format("count {}/{}: {}", camera, rule, sqlite3_errmsg(db_)));
  return core::Ok{};
}

std::int64_t Store::outbox_size() {
  std::lock_guard lock(m_);
  Stmt s(db_, "SELECT COUNT(*) FROM outbox");
  return s.step() ? s.i64(0) : 0;
}

std::vector<OutboxItem> Store::outbox_batch(int limit) {
  std::lock_guard lock(m_);
  Stmt s(db_,
         "SELECT o.rowid, e.id, e.camera, e.type, e.json FROM outbox o JOIN events e ON e.id = o.event_id "
         "ORDER BY o.rowid LIMIT ?");
  s.bind(1, static_cast<std::int64_t>(limit));
  std::vector<OutboxItem> out;
  while (s.step()) out.push_back({s.i64(0), s.text(1), s.text(2), s.text(3), s.text(4)});
  return out;
}

void Store::outbox_delete(const std::vector<std::string>& event_ids) {
  if (event_ids.empty()) return;
  std::lock_guard lock(m_);
  exec(db_, "BEGIN");
  for (const auto& id : event_ids) Stmt(db_, "DELETE FROM outbox WHERE event_id = ?").bind(1, id).run();
  if (!exec(db_, "COMMIT")) exec(db_, "ROLLBACK");
}

std::int64_t Store::outbox_trim(std::int64_t max_rows) {
  std::lock_guard lock(m_);
  Stmt n(db_, "SELECT COUNT(*) FROM outbox");
  const std::int64_t have = n.step() ? n.i64(0) : 0;
  if (have <= max_rows) return 0;
  Stmt d(db_, "DELETE FROM outbox WHERE rowid IN (SELECT rowid FROM outbox ORDER BY rowid LIMIT ?)");
  d.bind(1, have - max_rows);
  if (d.run() != SQLITE_DONE) return 0;
  return sqlite3_changes(db_);
}

std::optional<std::string> Store::event_json(const std::string& id) {
  std::lock_guard lock(m_);
  Stmt s(db_, "SELECT json FROM events WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

std::optional<std::int64_t> Store::outbox_oldest_ms() {
  std::lock_guard lock(m_);
  Stmt s(db_, "SELECT created_ms FROM outbox ORDER BY rowid LIMIT 1");
  if (!s.step()) return std::nullopt;
  return s.i64(0);
}

core::Result<std::int64_t> Store::segment_opened(const record::SegmentFile& f) {
  std::lock_guard lock(m_);
  Stmt s(db_, "INSERT INTO segments(camera, path, start_ms) VALUES(?,?,?)");
  s.bind(1, f.camera).bind(2, f.path).bind(3, f.start_ms);
  if (s.run() != SQLITE_DONE) {
    auto e = fail_and_rollback(db_, fmt::format("segment {} not indexed", f.path));
    ++health_.index_write_failures;
    note_failure_locked(e, "segment rows");
    return e;
  }
  note_success_locked();
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
}

core::Status Store::close_segment_locked(const record::SegmentFile& f) {
  // An upsert: the opening row may be missing when the database refused it.
  Stmt s(db_,
         "INSERT INTO segments(camera, path, start_ms, end_ms, bytes, complete) VALUES(?,?,?,?,?,1) "
         "ON CONFLICT(path) DO UPDATE SET end_ms = excluded.end_ms, bytes = excluded.bytes, complete = 1");
  s.bind(1, f.camera).bind(2, f.path).bind(3, f.start_ms).bind(4, f.end_ms).bind(5, f.bytes);
  if (s.run() != SQLITE_DONE) return fail_and_rollback(db_, fmt::format("segment {} not indexed", f.path));
  return core::Ok{};
}

core::Status Store::segment_closed(const record::SegmentFile& f) {
  constexpr size_t kMaxPendingSegments = 10'000;
  std::lock_guard lock(m_);
  auto st = close_segment_locked(f);
  if (st) {
    if (!pending_segments_.empty()) flush_locked();
    note_success_locked();
    return st;
  }
  ++health_.index_write_failures;
  note_failure_locked(st.error(), "segment rows");
  pending_segments_.push_back(f);
  if (pending_segments_.size() > kMaxPendingSegments) {
    kLog.error("segment {} dropped from the index (too many waiting): its file stays until removed by hand",
               pending_segments_.front().path);
    pending_segments_.pop_front();
  }
  health_.index_pending = static_cast<std::int64_t>(pending_segments_.size());
  return st;
}

std::vector<SegmentRow> Store::segments(const std::optional<std::string>& camera, std::int64_t since_ms,
                                        std::int64_t until_ms, bool complete_only) {
  std::lock_guard lock(m_);
  Stmt s(db_,
         "SELECT id, camera, path, start_ms, end_ms, bytes, complete FROM segments WHERE (?1 IS NULL OR camera = ?1) "
         "AND (end_ms > ?2 OR complete = 0) AND start_ms < ?3 AND (?4 = 0 OR complete = 1) ORDER BY camera, start_ms");
  s.bind_opt(1, camera).bind(2, since_ms).bind(3, until_ms).bind(4, static_cast<std::int64_t>(complete_only));
  std::vector<SegmentRow> out;
  while (s.step()) {
    SegmentRow r;
    r.id = s.i64(0);
    r.file = {s.text(1), s.text(2), s.i64(3), s.i64(4), s.i64(5)};
    r.complete = s.i64(6) != 0;
    out.push_back(r);
  }
  return out;
}

std::vector<SegmentRow> Store::incomplete_segments() {
  auto all = segments(std::nullopt, INT64_MIN, INT64_MAX, false);
  std::erase_if(all, [](const SegmentRow& r) { return r.complete; });
  return all;
}

std::vector<SegmentRow> Store::oldest_segments(int limit) {
  std::lock_guard lock(m_);
  Stmt s(db_,
         "SELECT id, camera, path, start_ms, end_ms, bytes FROM segments WHERE complete = 1 "
         "ORDER BY start_ms, id LIMIT ?");
  s.bind(1, static_cast<std::int64_t>(limit));
  std::vector<SegmentRow> out;
  while (s.step()) {
    SegmentRow r;
    r.id = s.i64(0);
    r.file = {s.text(1), s.text(2), s.i64(3), s.i64(4), s.i64(5)};
    r.complete = true;
    out.push_back(r);
  }
  return out;
}

core::Status Store::delete_segments(const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return core::Ok{};
  std::lock_guard lock(m_);
  if (!exec_quiet(db_, "BEGIN IMMEDIATE")) return fail_and_rollback(db_, "deleting segment rows");
  for (auto id : ids)
    if (Stmt(db_, "DELETE FROM segments WHERE id = ?").bind(1, id).run() != SQLITE_DONE)
      return fail_and_rollback(db_, "deleting segment rows");
  if (!exec_quiet(db_, "COMMIT")) return fail_and_rollback(db_, "deleting segment rows (commit)");
  return core::Ok{};
}

std::int64_t Store::recordings_bytes() {
  std::lock_guard lock(m_);
  Stmt s(db_, "SELECT COALESCE(SUM(bytes), 0) FROM segments");
  return s.step() ? s.i64(0) : 0;
}

core::Status Store::add_export(const std::string& camera, std::int64_t start_ms, std::int64_t end_ms,
                               const std::string& path, std::int64_t now_ms) {
  std::lock_guard lock(m_);
  Stmt s(db_, "INSERT INTO exports(camera, start_ms, end_ms, path, created_ms) VALUES(?,?,?,?,?)");
  if (s.bind(1, camera).bind(2, start_ms).bind(3, end_ms).bind(4, path).bind(5, now_ms).run() != SQLITE_DONE)
    return fail_and_rollback(db_, fmt::format("export {} not recorded", path));
  return core::Ok{};
}

std::vector<record::KeepRange> Store::keep_ranges() {
  std::lock_guard lock(m_);
  Stmt s(db_, "SELECT camera, start_ms, end_ms FROM exports");
  std::vector<record::KeepRange> out;
  while (s.step()) out.push_back({s.text(0), s.i64(1), s.i64(2)});
  return out;
}

}  // namespace vsp::store
