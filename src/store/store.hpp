#pragma once
/// The node's SQLite store (WAL, numbered migrations): events with their outbox rows, per-minute
/// counts, the segment index and exports. Thread-safe: one connection behind a mutex.
///
/// Writes that fail (disk full, read-only, I/O error) are never silent: an event the database
/// refuses is kept in memory (bounded by `max_pending_events`) and retried, in order, before the
/// next one and on `retry_pending()`; a segment's closing row likewise. `health()` counts it all,
/// and the log says so once per change of state, with counts, never once per event.
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "events/event.hpp"
#include "record/retention.hpp"
#include "record/segmenter.hpp"

struct sqlite3;

namespace vsp::store {

struct EventQuery {
  std::optional<std::string> camera, type, rule;
  std::optional<std::int64_t> since_ms, until_ms;  ///< [since, until)
  int limit = 100;
  std::optional<std::string> cursor;  ///< from a previous page's next_cursor (same order)
  bool newest_first = false;          ///< `order=desc`: newest first (the latest events on page 1)
};
struct EventPage {
  std::vector<std::string> events_json;  ///< wire-format JSON objects
  std::optional<std::string> next_cursor;
};

struct CountQuery {
  std::optional<std::string> camera, rule;
  std::int64_t since_ms = 0, until_ms = 0;
  std::int64_t bucket_ms = 60'000;
};
struct CountPoint {
  std::string camera, rule, key;
  std::int64_t bucket_start_ms = 0;
  std::int64_t n = 0;
};

/// One outbox row with what the uplink needs to route and send it.
struct OutboxItem {
  std::int64_t seq = 0;  ///< outbox insertion order (rowid)
  std::string event_id, camera, type;
  std::string json;  ///< the event's wire-format JSON
};

struct SegmentRow {
  std::int64_t id = 0;
  record::SegmentFile file;
  bool complete = false;
};

struct StoreOptions {
  int max_pending_events = 10000;  ///< events kept in memory while the database refuses them
};

/// What the store managed to write, and what it could not. Counters since open.
struct StoreHealth {
  bool ok = true;                         ///< the last write succeeded and nothing waits for a retry
  bool full = false;                      ///< the last failure was "database or disk is full"
  std::string last_error;                 ///< the last failure's message (kept after recovery)
  std::int64_t events_received = 0;       ///< write() calls
  std::int64_t events_stored = 0;         ///< events committed (a duplicate id counts once)
  std::int64_t event_write_failures = 0;  ///< failed attempts to commit an event (retries included)
  std::int64_t events_pending = 0;        ///< kept in memory, waiting for a retry
  std::int64_t events_dropped = 0;        ///< lost: the pending queue was full (oldest dropped)
  std::int64_t index_write_failures = 0;  ///< segment index writes that failed
  std::int64_t index_pending = 0;         ///< closed segments whose row waits for a retry
};

class Store final : public events::EventSink {
 public:
  /// Opens (creating) `path`, applies pending migrations.
  static core::Result<std::unique_ptr<Store>> open(const std::string& path, StoreOptions options = {});
  /// Retries what is pending one last time; logs what is lost, if anything.
  ~Store() override;

  /// Event row + outbox row + per-minute count in one transaction; duplicates (same id) ignored.
  /// Never drops an event silently: one the database refuses waits in memory (see above).
  void write(const events::Event& event) override;
  /// Retries pending events and segment rows, oldest first; returns how many are still pending.
  std::int64_t retry_pending();
  StoreHealth health();
  /// Deletes events stamped before `before_ms` with their outbox rows (retention by age); only
  /// those of `type` when given (plate reads have an age of their own).
  core::Result<std::int64_t> prune_events(std::int64_t before_ms, const std::optional<std::string>& type = {});
  core::Result<EventPage> events(const EventQuery& q);
  core::Result<std::vector<CountPoint>> counts(const CountQuery& q);
  /// Adds `n` to a per-minute count that no event stands for (the zone occupancy series keeps
  /// `zone_occupancy_sum` and `zone_occupancy_samples`, so any bucket's mean is sum / samples).
  core::Status add_count(const std::string& camera, const std::string& rule, std::int64_t ts_ms, const std::string& key,
                         std::int64_t n);
  std::int64_t outbox_size();
  /// Up to `limit` outbox rows, oldest first (insertion order).
  std::vector<OutboxItem> outbox_batch(int limit);
  /// Removes these events' outbox rows (after the broker acknowledged them); the events stay.
  void outbox_delete(const std::vector<std::string>& event_ids);
  /// Drops the oldest outbox rows beyond `max_rows`; returns how many were dropped.
  std::int64_t outbox_trim(std::int64_t max_rows);
  /// The wire JSON of one event, nullopt when this node has no such event.
  std::optional<std::string> event_json(const std::string& id);
  /// Event time (ms) of the oldest outbox row, nullopt when the outbox is empty.
  std::optional<std::int64_t> outbox_oldest_ms();

  /// Segment index: a row is inserted incomplete when a segment opens and completed on close
  /// (inserted complete when its opening row is missing). A closing row the database refuses is
  /// kept and retried, so the segment is indexed once the disk has room; the error is returned
  /// all the same, for the caller to count.
  core::Result<std::int64_t> segment_opened(const record::SegmentFile& s);
  core::Status segment_closed(const record::SegmentFile& s);
  std::vector<SegmentRow> segments(const std::optional<std::string>& camera, std::int64_t since_ms,
                                   std::int64_t until_ms, bool complete_only);
  std::vector<SegmentRow> incomplete_segments();
  /// The `limit` oldest complete segments, oldest first (what retention looks at).
  std::vector<SegmentRow> oldest_segments(int limit);
  core::Status delete_segments(const std::vector<std::int64_t>& ids);
  std::int64_t recordings_bytes();

  /// Protects the range from retention; an error when the database refused the row.
  core::Status add_export(const std::string& camera, std::int64_t start_ms, std::int64_t end_ms,
                          const std::string& path, std::int64_t now_ms);
  std::vector<record::KeepRange> keep_ranges();
  int schema_version();

 private:
  Store(sqlite3* db, StoreOptions options) : db_(db), options_(options) {}
  /// One event in one transaction; on failure the transaction is rolled back (only if one is
  /// still open: SQLite ends it by itself on some errors) and the message returned.
  core::Status insert_event_locked(const events::Event& e);
  core::Status close_segment_locked(const record::SegmentFile& f);
  void flush_locked();
  void note_failure_locked(const core::Error& e, const char* what);
  void note_success_locked();

  sqlite3* db_;
  StoreOptions options_;
  std::mutex m_;
  std::deque<events::Event> pending_events_;
  std::deque<record::SegmentFile> pending_segments_;
  StoreHealth health_;
  std::int64_t failures_in_spell_ = 0;  ///< failed writes since the store last worked
  bool drop_logged_ = false;            ///< the first drop of this spell was logged
};

}  // namespace vsp::store
