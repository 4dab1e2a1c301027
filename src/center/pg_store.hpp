#pragma once
/// The center's PostgreSQL store (libpq): numbered migrations, the time-partitioned `events`
/// table (one partition per UTC day, created on demand), per-minute rollups kept current in the
/// same transaction as the insert, the `nodes` table fed by heartbeats, and the search queries.
/// Thread-safe: every call borrows a connection from a small pool.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "center/alerts.hpp"
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

/// One alert delivery (an alert, a channel, an event) leased to a dispatcher.
struct AlertJob {
  std::int64_t id = 0;
  std::string alert, channel, target, event_id, payload_json;
  int attempts = 0;  ///< including this one
};

/// One firing of an alert rule (table `alerts`), with who acknowledged it and when.
struct AlertRow {
  std::int64_t id = 0;
  std::string alert, event_id, site, node, camera, type;
  std::int64_t ts_utc_ms = 0;  ///< the event's time
  std::int64_t fired_ms = 0;   ///< when the center recorded the firing (its clock)
  std::int64_t count = 1;      ///< matching events in the window (threshold rules), else 1
  std::string payload_json;    ///< what the channels deliver: {"alert", ["count", "window_s",] "event"}
  std::string acked_by;        ///< empty while open
  std::int64_t acked_ms = 0;   ///< 0 while open
};
enum class AlertState { open, acknowledged, all };
struct AlertsQuery {
  AlertState state = AlertState::open;
  int limit = 100;
  std::optional<std::int64_t> before_id;  ///< paging: rows with a smaller id (newest first)
};
struct AlertsPage {
  std::vector<AlertRow> alerts;
  std::optional<std::int64_t> next_before_id;  ///< set when more rows follow
};

class PgStore {
 public:
  /// Connects (an unreachable server or a wrong DSN is an error naming `postgres.dsn`) and applies
  /// pending migrations under an advisory lock, so several centers may start at once.
  /// `password` (from postgres.password_file/_env) goes to libpq beside the DSN, never into it.
  static core::Result<std::unique_ptr<PgStore>> open(const std::string& dsn, const std::string& password = {});
  ~PgStore();

  /// COPY into a staging table, then `INSERT … ON CONFLICT DO NOTHING` and the rollup update, in
  /// one transaction. Returns how many events were new. Error codes: `pg_unavailable` (connection
  /// lost: retry the batch), `pg_rejected` (the data was refused, SQLSTATE class 22/23: isolate the
  /// bad event), `pg_error` (schema, permission...: retry, never drop events for it).
  core::Result<int> insert_batch(const std::vector<IncomingEvent>& batch);
  /// Alert rules matched against each newly inserted event (set before the consumer starts).
  void set_alert_rules(std::vector<AlertRule> rules) { alert_rules_ = std::move(rules); }
  /// Leases up to `limit` due alert deliveries for `lease_s` (another center retries them after
  /// that if this one dies); SKIP LOCKED, so several centers share the work.
  core::Result<std::vector<AlertJob>> claim_alerts(int limit, double lease_s);
  core::Status alert_delivered(std::int64_t id);
  /// Next attempt after min(2^(attempts-1), 300) s.
  core::Status alert_failed(std::int64_t id, int attempts, const std::string& error);

  /// Alerts newest first.
  core::Result<AlertsPage> alerts(const AlertsQuery& q);
  /// Marks an open alert acknowledged by `user` at `now_ms`; errors `unknown_alert` and
  /// `already_acknowledged` (naming who and when).
  core::Result<AlertRow> acknowledge_alert(std::int64_t id, const std::string& user, std::int64_t now_ms);

  /// Records a node's heartbeat (newest wins).
  core::Status upsert_node(const std::string& site, const std::string& node, std::int64_t ts_ms,
                           const std::string& heartbeat_json);

  core::Result<SearchPage> search(const SearchQuery& q);
  core::Result<std::vector<CountRow>> counts(const CountsQuery& q);
  core::Result<std::vector<NodeRow>> nodes();
  /// Whether any event or heartbeat names this site (and node, when given).
  core::Result<bool> known(const std::string& site, const std::optional<std::string>& node);
  core::Result<std::int64_t> event_count();
  /// (site, node) of a stored event; nullopt when the center has no such event.
  core::Result<std::optional<std::pair<std::string, std::string>>> event_origin(const std::string& id);

  /// Runs `fn` on a pooled connection: the accounts and audit log (`PgAuthStore`, its own tables)
  /// share this pool. The connection goes back to the pool when it is healthy and idle.
  core::Status with_connection(const std::function<core::Status(pg_conn*)>& fn);

 private:
  PgStore(std::string dsn, std::string password) : dsn_(std::move(dsn)), password_(std::move(password)) {}
  class Lease;
  core::Result<pg_conn*> acquire();
  void release(pg_conn* c, bool healthy);
  core::Status ensure_partitions(pg_conn* c, const std::vector<IncomingEvent>& batch);
  /// Inside the insert transaction: the matching count when `rule`'s threshold is reached at
  /// `ts_ms` and its cool-down allows firing (then recorded), else nullopt.
  core::Result<std::optional<std::int64_t>> threshold_reached(pg_conn* c, const AlertRule& rule, std::int64_t ts_ms);

  std::string dsn_;
  std::string password_;  ///< empty: the DSN's own (or libpq's PGPASSWORD/.pgpass)
  std::mutex m_;
  std::vector<pg_conn*> idle_;
  std::set<std::int64_t> partition_days_;
  std::vector<AlertRule> alert_rules_;  ///< days (since the epoch) known to have a partition
};

}  // namespace vsp::center
