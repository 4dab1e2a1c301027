#pragma once
/// The node's SQLite store (WAL, numbered migrations): events with their outbox rows, per-minute
/// counts, the segment index and exports. Thread-safe: one connection behind a mutex.
#include <cstdint>
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
  std::optional<std::string> cursor;  ///< from a previous page's next_cursor
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

class Store final : public events::EventSink {
 public:
  /// Opens (creating) `path`, applies pending migrations.
  static core::Result<std::unique_ptr<Store>> open(const std::string& path);
  ~Store() override;

  /// Event row + outbox row + per-minute count in one transaction; duplicates (same id) ignored.
  void write(const events::Event& event) override;
  core::Result<EventPage> events(const EventQuery& q);
  core::Result<std::vector<CountPoint>> counts(const CountQuery& q);
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

  /// Segment index: a row is inserted incomplete when a segment opens and completed on close.
  core::Result<std::int64_t> segment_opened(const record::SegmentFile& s);
  core::Status segment_closed(const record::SegmentFile& s);
  std::vector<SegmentRow> segments(const std::optional<std::string>& camera, std::int64_t since_ms,
                                   std::int64_t until_ms, bool complete_only);
  std::vector<SegmentRow> incomplete_segments();
  void delete_segments(const std::vector<std::int64_t>& ids);
  std::int64_t recordings_bytes();

  void add_export(const std::string& camera, std::int64_t start_ms, std::int64_t end_ms, const std::string& path,
                  std::int64_t now_ms);
  std::vector<record::KeepRange> keep_ranges();
  int schema_version();

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::mutex m_;
};

}  // namespace vsp::store
