#pragma once
/// The center's PostgreSQL store (libpq): numbered migrations, the time-partitioned `events`
/// table (one partition per UTC day, created on demand), per-minute rollups kept current in the
/// same transaction as the insert, the `nodes` table fed by heartbeats, and the search queries.
/// Thread-safe: every call borrows a connection from a small pool.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "events/event.hpp"

struct pg_conn;

namespace vsp::center {

/// One event as received: the parsed fields for the columns and the wire JSON for `payload`.
struct IncomingEvent {
  events::Event event;
  std::string json;
};

enum class PlateMatch { exact, prefix, fuzzy };

struct SearchQuery {
  std::optional<std::string> site, node, camera, type, rule, class_name, plate;
  PlateMatch plate_match = PlateMatch::exact;
  std::optional<std::int64_t> since_ms, until_ms;  ///< [since, until)
  int limit = 100;
  std::optional<std::string> cursor;  ///< next_cursor of the previous page
};
struct SearchPage {
  std::vector<std::string> events_json;
  std::optional<std::string> next_cursor;
};

struct CountsQuery {
  std::optional<std::string> site, node, camera, rule;
  std::int64_t since_ms = 0, until_ms = 0;
  std::string bucket = "1m";  ///< 1m, 15m, 1h, 1d
};
struct CountRow {
  std::string site, node, camera, rule, key;
  std::int64_t bucket_start_ms = 0;
  std::int64_t n = 0;
};

struct NodeRow {
  std::string site, node;
  std::int64_t last_heartbeat_ms = 0;  ///< the node's clock
  std::int64_t received_ms = 0;        ///< the center's clock
  std::string heartbeat_json;
};

class PgStore {
 public:
  /// Connects (an unreachable server or a wrong DSN is an error naming `postgres.dsn`) and applies
  /// pending migrations under an advisory lock, so several centers may start at once.
  static core::Result<std::unique_ptr<PgStore>> open(const std::string& dsn);
  ~PgStore();

  /// COPY into a staging table, then `INSERT … ON CONFLICT DO NOTHING` and the rollup update, in
  /// one transaction. Returns how many events were new. An error with code `pg_unavailable` means
  /// the connection was lost (retry the batch); `pg_rejected` means the data was refused.
  core::Result<int> insert_batch(const std::vector<IncomingEvent>& batch);
  /// Records a node's heartbeat (newest wins).
  core::Status upsert_node(const std::string& site, const std::string& node, std::int64_t ts_ms,
                           const std::string& heartbeat_json);

  core::Result<SearchPage> search(const SearchQuery& q);
  core::Result<std::vector<CountRow>> counts(const CountsQuery& q);
  core::Result<std::vector<NodeRow>> nodes();
  /// Whether any event or heartbeat names this site (and node, when given).
  core::Result<bool> known(const std::string& site, const std::optional<std::string>& node);
  core::Result<std::int64_t> event_count();

 private:
  explicit PgStore(std::string dsn) : dsn_(std::move(dsn)) {}
  class Lease;
  core::Result<pg_conn*> acquire();
  void release(pg_conn* c, bool healthy);
  core::Status ensure_partitions(pg_conn* c, const std::vector<IncomingEvent>& batch);

  std::string dsn_;
  std::mutex m_;
  std::vector<pg_conn*> idle_;
  std::set<std::int64_t> partition_days_;  ///< days (since the epoch) known to have a partition
};

}  // namespace vsp::center
