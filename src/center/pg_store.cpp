#include "center/pg_store.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "center/event_fields.hpp"
#include "center/pg_result.hpp"
#include "core/log.hpp"

namespace vsp::center {

using core::make_error;

namespace {

const core::Logger kLog("center.pg");
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kMigrationLock = 0x565350'0001;  // "VSP" 1
constexpr std::int64_t kPartitionLock = 0x565350'0002;

// ---- Migrations: append only; each runs once, in order, in one transaction --------------------
const char* const kMigrations[] = {
    // 1: events (partitioned by day of ts_utc), per-minute rollups, nodes
    R"(CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
       CREATE TABLE events(
         id text NOT NULL, site text NOT NULL, node text NOT NULL, camera text NOT NULL, type text NOT NULL,
         rule text NOT NULL DEFAULT '', ts_utc timestamptz NOT NULL, track_id integer NOT NULL DEFAULT 0,
         class text NOT NULL DEFAULT '', direction text NOT NULL DEFAULT '', text text NOT NULL DEFAULT '',
         payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (id, ts_utc)) PARTITION BY RANGE (ts_utc);
       CREATE INDEX events_ts ON events (ts_utc, id);
       CREATE INDEX events_camera_ts ON events (site, node, camera, ts_utc);
       CREATE INDEX events_type_ts ON events (type, ts_utc);
       CREATE INDEX events_plate ON events (text text_pattern_ops) WHERE text <> '';
       CREATE TABLE counts_1m(
         site text NOT NULL, node text NOT NULL, camera text NOT NULL, rule text NOT NULL, key text NOT NULL,
         minute timestamptz NOT NULL, n bigint NOT NULL,
         PRIMARY KEY (site, node, camera, rule, minute, key));
       CREATE INDEX counts_1m_minute ON counts_1m (minute);
       CREATE TABLE nodes(
         site text NOT NULL, node text NOT NULL, last_heartbeat timestamptz NOT NULL,
         received_at timestamptz NOT NULL, heartbeat jsonb NOT NULL, PRIMARY KEY (site, node));)",
    // 2: alert deliveries, written with the event that triggers them
    R"(CREATE TABLE alert_outbox(
         id bigserial PRIMARY KEY, alert text NOT NULL, channel text NOT NULL, target text NOT NULL,
         event_id text NOT NULL, payload jsonb NOT NULL, attempts integer NOT NULL DEFAULT 0,
         next_attempt_at timestamptz NOT NULL DEFAULT now(), last_error text NOT NULL DEFAULT '',
         UNIQUE (alert, channel, event_id));
       CREATE INDEX alert_outbox_due ON alert_outbox (next_attempt_at);
       CREATE TABLE alert_state(alert text PRIMARY KEY, last_fired timestamptz NOT NULL);)",
    // 3: alerts as operators see them: one row per firing (whatever its channels), acknowledged by whom, when
    R"(CREATE TABLE alerts(
         id bigserial PRIMARY KEY, alert text NOT NULL, event_id text NOT NULL, site text NOT NULL,
         node text NOT NULL, camera text NOT NULL, type text NOT NULL, ts_utc timestamptz NOT NULL,
         fired_at timestamptz NOT NULL DEFAULT now(), count bigint NOT NULL DEFAULT 1, payload jsonb NOT NULL,
         acked_by text, acked_at timestamptz, UNIQUE (alert, event_id));
       CREATE INDEX alerts_open ON alerts (id) WHERE acked_at IS NULL;)",
};

/// COPY text format: backslash, tab, newline and carriage return are escaped (runs of ordinary
/// characters are appended at once).
void copy_field(std::string& out, std::string_view v) {
  size_t start = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c != '\\' && c != '\t' && c != '\n' && c != '\r') continue;
    out.append(v.data() + start, i - start);
    out += c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : "\\r";
    start = i + 1;
  }
  out.append(v.data() + start, v.size() - start);
}

using Res = PgResult;

Res exec(PGconn* c, const std::string& sql) { return Res(PQexec(c, sql.c_str())); }

Res exec_params(PGconn* c, const std::string& sql, const std::vector<std::string>& params) {
  return pg_query(c, sql.c_str(), params);
}

std::string err_text(PGconn* c) { return pg_error_text(c); }

/// `pg_unavailable`: the connection is gone (retry); `pg_rejected`: the data was refused (SQLSTATE
/// class 22 data exception or 23 integrity violation: retrying the same rows cannot help);
/// `pg_error`: anything else (a schema or permission problem: retry, and say so loudly).
core::Error pg_error(PGconn* c, const std::string& what, const PGresult* r = nullptr) {
  std::string code = "pg_error";
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  if (PQstatus(c) != CONNECTION_OK)
    code = "pg_unavailable";
  else if (state && (std::string(state).rfind("22", 0) == 0 || std::string(state).rfind("23", 0) == 0))
    code = "pg_rejected";
  return make_error(code, fmt::format("{}: {}", what, err_text(c)));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

std::string day_text(std::int64_t day) {
  // Day number since the epoch -> YYYY-MM-DD (civil-from-days, H. Hinnant).
  std::int64_t z = day + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

std::string rfc3339(std::int64_t ms) { return events::format_rfc3339_ms(ms); }

}  // namespace

/// A borrowed connection, returned to the pool (or closed when it broke) on scope exit.
class PgStore::Lease {
 public:
  Lease(PgStore& s, PGconn* c) : s_(s), c_(c) {}
  ~Lease() { s_.release(c_, PQstatus(c_) == CONNECTION_OK && PQtransactionStatus(c_) == PQTRANS_IDLE); }
  PGconn* get() const { return c_; }

 private:
  PgStore& s_;
  PGconn* c_;
};

core::Result<std::unique_ptr<PgStore>> PgStore::open(const std::string& dsn, const std::string& password) {
  std::unique_ptr<PgStore> s(new PgStore(dsn, password));
  auto c = s->acquire();
  if (!c) return c.error();
  Lease lease(*s, *c);
  PGconn* conn = *c;
  // ---- Migrations, one center at a time ---------------------------------------------------------
  if (!exec(conn, fmt::format("SELECT pg_advisory_lock({})", kMigrationLock)).ok())
    return pg_error(conn, "postgres: cannot take the migration lock");
  auto unlock = [&] { exec(conn, fmt::format("SELECT pg_advisory_unlock({})", kMigrationLock)); };
  if (!exec(conn,
            "CREATE TABLE IF NOT EXISTS schema_migrations(version integer PRIMARY KEY, applied_at timestamptz "
            "NOT NULL DEFAULT now())")
           .ok()) {
    auto e = pg_error(conn, "postgres: cannot create schema_migrations");
    unlock();
    return e;
  }
  Res v = exec(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  const int have = v.ok() && v.rows() == 1 ? static_cast<int>(v.i64(0, 0)) : 0;
  const int want = static_cast<int>(std::size(kMigrations));
  if (have > want) {
    unlock();
    return make_error("pg_too_new",
                      fmt::format("postgres: database schema {} is newer than this vsp ({}): upgrade vsp", have, want),
                      "postgres.dsn");
  }
  for (int i = have + 1; i <= want; ++i) {
    const bool ok = exec(conn, "BEGIN").ok() && exec(conn, kMigrations[i - 1]).ok() &&
                    exec(conn, fmt::format("INSERT INTO schema_migrations(version) VALUES({})", i)).ok() &&
                    exec(conn, "COMMIT").ok();
    if (!ok) {
      auto e = pg_error(conn, fmt::format("postgres: migration {} failed", i));
      exec(conn, "ROLLBACK");
      unlock();
      return e;
    }
    kLog.info("applied migration {}", i);
  }
  unlock();
  return s;
}

core::Status PgStore::with_connection(const std::function<core::Status(PGconn*)>& fn) {
  auto conn = acquire();
  if (!conn) return conn.error();
  Lease lease(*this, *conn);
  return fn(*conn);
}

PgStore::~PgStore() {
  for (auto* c : idle_) PQfinish(c);
}

core::Result<PGconn*> PgStore::acquire() {
  {
    std::lock_guard lock(m_);
    if (!idle_.empty()) {
      auto* c = idle_.back();
      idle_.pop_back();
      return c;
    }
  }
  // The DSN expands first (expand_dbname); a password given apart overrides the DSN's.
  const char* keys[] = {"dbname", password_.empty() ? nullptr : "password", nullptr};
  const char* values[] = {dsn_.c_str(), password_.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 1);
  if (!c || PQstatus(c) != CONNECTION_OK) {
    std::string msg = c ? err_text(c) : "out of memory";
    PQfinish(c);
    return make_error("pg_unavailable", fmt::format("postgres.dsn: cannot connect: {}", msg), "postgres.dsn");
  }
  PQclear(PQexec(c, "SET client_min_messages = warning; SET TIME ZONE 'UTC'"));
  return c;
}

void PgStore::release(PGconn* c, bool healthy) {
  if (!healthy) {
    PQfinish(c);
    return;
  }
  std::lock_guard lock(m_);
  if (idle_.size() < 8)
    idle_.push_back(c);
  else
    PQfinish(c);
}

core::Status PgStore::ensure_partitions(PGconn* c, const std::vector<IncomingEvent>& batch) {
  std::set<std::int64_t> days;
  for (const auto& e : batch) days.insert(floor_div(e.event.ts_utc_ms, kDayMs));
  {
    std::lock_guard lock(m_);
    for (auto d : partition_days_) days.erase(d);
  }
  for (auto d : days) {
    // Partitions are created one at a time across centers (advisory lock), each day once.
    const std::string sql = fmt::format(
        "BEGIN; SELECT pg_advisory_xact_lock({}); CREATE TABLE IF NOT EXISTS events_{} PARTITION OF events FOR "
        "VALUES FROM ('{}T00:00:00Z') TO ('{}T00:00:00Z'); COMMIT;",
        kPartitionLock, day_text(d).erase(7, 1).erase(4, 1), day_text(d), day_text(d + 1));
    if (!exec(c, sql).ok()) {
      auto e = pg_error(c, fmt::format("postgres: cannot create the partition for {}", day_text(d)));
      exec(c, "ROLLBACK");
      return e;
    }
    std::lock_guard lock(m_);
    partition_days_.insert(d);
  }
  return core::Ok{};
}

core::Result<int> PgStore::insert_batch(const std::vector<IncomingEvent>& batch) {
  if (batch.empty()) return 0;
  auto conn = acquire();
  if (!conn) return conn.error();
  Lease lease(*this, *conn);
  PGconn* c = *conn;
  if (auto st = ensure_partitions(c, batch); !st) return st.error();

  // ---- 1. COPY the batch into a per-session staging table --------------------------------------
  if (!exec(c, "BEGIN").ok()) return pg_error(c, "postgres: BEGIN failed");
  auto fail = [&](const std::string& what, const PGresult* r = nullptr) {
    auto e = pg_error(c, what, r);
    exec(c, "ROLLBACK");
    return e;
  };
  if (!exec(c,
            "CREATE TEMP TABLE IF NOT EXISTS events_staging(id text, site text, node text, camera text, type text, "
            "rule text, ts_utc timestamptz, track_id integer, class text, direction text, text text, payload jsonb) "
            "ON COMMIT DELETE ROWS")
           .ok())
    return fail("postgres: cannot create the staging table");
  {
    // Threshold rules count the stored events under a per-rule lock. Taking, before inserting, the
    // locks of the rules this batch may fire (in name order) makes concurrent batches touching a
    // rule (other workers, other centers) run one after the other, so each count sees all the
    // rows of the batches before it, as if one batch were inserted at a time.
    std::set<std::string> names;
    for (const auto& in : batch)
      for (const auto* rule : match_alerts(alert_rules_, in.event))
        if (rule->min_count > 1 || rule->cooldown_s > 0) names.insert(rule->name);
    for (const auto& name : names)
      if (Res l = exec_params(c, "SELECT pg_advisory_xact_lock(hashtext($1))", {"vsp-alert:" + name}); !l.ok())
        return fail("postgres: alert lock failed", l.get());
  }
  {
    Res r = exec(c, "COPY events_staging FROM STDIN");
    if (PQresultStatus(r.get()) != PGRES_COPY_IN) return fail("postgres: COPY failed");
  }
  // In (id, ts_utc) order, each key once: concurrent transactions (other workers, other centers)
  // then meet shared ids in the same order, and the primary key index is filled in order.
  std::vector<const IncomingEvent*> rows;
  rows.reserve(batch.size());
  for (const auto& in : batch) rows.push_back(&in);
  auto key_less = [](const IncomingEvent* a, const IncomingEvent* b) {
    return a->event.id != b->event.id ? a->event.id < b->event.id : a->event.ts_utc_ms < b->event.ts_utc_ms;
  };
  std::sort(rows.begin(), rows.end(), key_less);
  rows.erase(
      std::unique(rows.begin(), rows.end(),
                  [&](const IncomingEvent* a, const IncomingEvent* b) { return !key_less(a, b) && !key_less(b, a); }),
      rows.end());
  std::string buf;
  buf.reserve(1 << 20);
  for (const auto* in : rows) {
    const auto& e = in->event;
    for (const std::string* f : {&e.id, &e.site, &e.node, &e.camera, &e.type, &e.rule}) {
      copy_field(buf, *f);
      buf += '\t';
    }
    char ts[24];
    format_ts_ms(e.ts_utc_ms, ts);
    buf.append(ts, sizeof ts);
    buf += '\t';
    buf += std::to_string(e.track_id);
    buf += '\t';
    for (const std::string* f : {&e.class_name, &e.direction, &e.text}) {
      copy_field(buf, *f);
      buf += '\t';
    }
    copy_field(buf, in->json);
    buf += '\n';
    if (buf.size() > (512u << 10)) {
      if (PQputCopyData(c, buf.data(), static_cast<int>(buf.size())) != 1) return fail("postgres: COPY failed");
      buf.clear();
    }
  }
  if ((!buf.empty() && PQputCopyData(c, buf.data(), static_cast<int>(buf.size())) != 1) ||
      PQputCopyEnd(c, nullptr) != 1)
    return fail("postgres: COPY failed");
  {
    Res r(PQgetResult(c));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) return fail("postgres: COPY rejected the batch", r.get());
  }
  while (PGresult* r = PQgetResult(c)) PQclear(r);

  // ---- 2. New rows only (the id decides), and their rollups, in the same transaction -----------
  Res ins = exec(c,
                 "WITH ins AS ("
                 "  INSERT INTO events(id, site, node, camera, type, rule, ts_utc, track_id, class, direction, text, "
                 "                     payload) "
                 "  SELECT id, site, node, camera, type, rule, ts_utc, track_id, class, direction, text, payload "
                 "  FROM events_staging "
                 "  ON CONFLICT (id, ts_utc) DO NOTHING "
                 "  RETURNING id, site, node, camera, rule, type, direction, ts_utc), "
                 "c AS ("
                 "  INSERT INTO counts_1m(site, node, camera, rule, key, minute, n) "
                 "  SELECT site, node, camera, rule, CASE WHEN type = 'line_crossing' THEN direction "
                 "         WHEN type = 'zone_enter' THEN 'enter' WHEN type = 'zone_exit' THEN 'exit' ELSE type END, "
                 "         date_trunc('minute', ts_utc), count(*) FROM ins GROUP BY 1, 2, 3, 4, 5, 6 "
                 "         ORDER BY 1, 2, 3, 4, 5, 6 "
                 "  ON CONFLICT (site, node, camera, rule, minute, key) DO UPDATE SET n = counts_1m.n + EXCLUDED.n) "
                 "SELECT id FROM ins");
  if (!ins.ok()) {
    // A day partition dropped behind our back (retention): forget what we knew, the retry recreates it.
    const char* state = PQresultErrorField(ins.get(), PG_DIAG_SQLSTATE);
    if (state && std::string(state) == "23514") {
      std::lock_guard lock(m_);
      partition_days_.clear();
      auto e = fail("postgres: insert failed");
      e.code = "pg_unavailable";  // retryable
      return e;
    }
    return fail("postgres: insert failed", ins.get());
  }
  const int inserted = ins.rows();
  // ---- 3. Alerts of the new events only, in the same transaction --------------------------------
  if (!alert_rules_.empty() && inserted > 0) {
    std::set<std::string> new_ids;
    for (int i = 0; i < inserted; ++i) new_ids.insert(ins.text(i, 0));
    for (const auto& in : batch) {
      if (!new_ids.count(in.event.id)) continue;
      for (const auto* rule : match_alerts(alert_rules_, in.event)) {
        std::string payload = fmt::format(R"({{"alert":"{}","event":{}}})", rule->name, in.json);
        std::string fired_count = "1";
        if (rule->min_count > 1 || rule->cooldown_s > 0) {
          // Threshold and cool-down: one center at a time per rule (advisory lock), counting the
          // matching events in (ts - window, ts] as stored, this batch included.
          auto fired = threshold_reached(c, *rule, in.event.ts_utc_ms);
          if (!fired) {
            exec(c, "ROLLBACK");
            return fired.error();
          }
          if (!*fired) continue;
          payload = fmt::format(R"({{"alert":"{}","count":{},"window_s":{},"event":{}}})", rule->name, **fired,
                                rule->window_s, in.json);
          fired_count = std::to_string(**fired);
        }
        Res fired_row = exec_params(c,
                                    "INSERT INTO alerts(alert, event_id, site, node, camera, type, ts_utc, count, "
                                    "payload) VALUES($1, $2, $3, $4, $5, $6, $7::timestamptz, $8, $9::jsonb) "
                                    "ON CONFLICT DO NOTHING",
                                    {rule->name, in.event.id, in.event.site, in.event.node, in.event.camera,
                                     in.event.type, rfc3339(in.event.ts_utc_ms), fired_count, payload});
        if (!fired_row.ok()) return fail("postgres: alert not recorded", fired_row.get());
        std::vector<std::pair<std::string, std::string>> channels;
        if (!rule->webhook.empty()) channels.emplace_back("webhook", rule->webhook);
        if (rule->nats) channels.emplace_back("nats", "vsp.alerts." + rule->name);
        for (const auto& [channel, target] : channels) {
          Res a = exec_params(c,
                              "INSERT INTO alert_outbox(alert, channel, target, event_id, payload) "
                              "VALUES($1, $2, $3, $4, $5::jsonb) ON CONFLICT DO NOTHING",
                              {rule->name, channel, target, in.event.id, payload});
          if (!a.ok()) return fail("postgres: alert not queued", a.get());
        }
      }
    }
  }
  if (!exec(c, "COMMIT").ok()) return fail("postgres: COMMIT failed");
  return inserted;
}

core::Result<std::optional<std::int64_t>> PgStore::threshold_reached(PGconn* c, const AlertRule& rule,
                                                                     std::int64_t ts_ms) {
  if (!exec_params(c, "SELECT pg_advisory_xact_lock(hashtext($1))", {"vsp-alert:" + rule.name}).ok())
    return pg_error(c, "postgres: alert lock failed");
  std::vector<std::string> params = {rfc3339(ts_ms), fmt::format("{}", rule.window_s)};
  std::string where =
      "ts_utc > $1::timestamptz - $2::double precision * interval '1 second' AND ts_utc <= $1::timestamptz";
  auto add = [&](const char* col, const std::optional<std::string>& v) {
    if (!v) return;
    params.push_back(*v);
    where += fmt::format(" AND {} = ${}", col, params.size());
  };
  add("type", rule.type);
  add("site", rule.site);
  add("node", rule.node);
  add("camera", rule.camera);
  add("rule", rule.rule);
  add("class", rule.class_name);
  if (!rule.plates.empty()) {
    params.push_back("{" + fmt::format("{}", fmt::join(rule.plates, ",")) + "}");
    where += fmt::format(" AND upper(text) = ANY(${}::text[])", params.size());
  }
  Res n = exec_params(c, "SELECT count(*) FROM events WHERE " + where, params);
  if (!n.ok() || n.rows() != 1) return pg_error(c, "postgres: alert count failed", n.get());
  const std::int64_t count = n.i64(0, 0);
  if (count < rule.min_count) return std::optional<std::int64_t>();
  // Cool-down: fire only if the last firing (event time) is at least cooldown_s before this one.
  Res st =
      exec_params(c,
                  "INSERT INTO alert_state(alert, last_fired) VALUES($1, $2::timestamptz) "
                  "ON CONFLICT (alert) DO UPDATE SET last_fired = EXCLUDED.last_fired "
                  "WHERE alert_state.last_fired <= EXCLUDED.last_fired - $3::double precision * interval '1 second' "
                  "RETURNING alert",
                  {rule.name, rfc3339(ts_ms), fmt::format("{}", rule.cooldown_s)});
  if (!st.ok()) return pg_error(c, "postgres: alert state failed", st.get());
  if (st.rows() == 0) return std::optional<std::int64_t>();
  return std::optional(count);
}

core::Result<std::vector<AlertJob>> PgStore::claim_alerts(int limit, double lease_s) {
  auto conn = acquire();
  if (!conn) return conn.error();
  Lease lease(*this, *conn);
  Res r = exec_params(*conn,
                      "UPDATE alert_outbox SET attempts = attempts + 1, next_attempt_at = now() + $2::double precision "
                      "* interval '1 second' WHERE id IN (SELECT id FROM alert_outbox WHERE next_attempt_at <= now() "
                      "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) "
                      "RETURNING id, alert, channel, target, event_id, payload::text, attempts",
                      {std::to_string(limit), fmt::format("{}", lease_s)});
  if (!r.ok()) return pg_error(*conn, "postgres: cannot claim alerts");
  std::vector<AlertJob> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.i64(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5),
                   static_cast<int>(r.i64(i, 6))});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

core::Status PgStore::alert_delivered(std::int64_t id) {
  auto conn = acquire();
  if (!conn) return conn.error();
  Lease lease(*this, *conn);
  if (!exec_params(*conn, "DELETE FROM alert_outbox WHERE id = $1", {std::to_string(id)}).ok())
    return pg_error(*conn, "postgres: alert not marked delivered");
  return core::Ok{};
}

core::Status PgStore::alert_failed(std::int64_t id, int attempts, const std::string& error) {
  auto conn = acquire();
  if (!conn) return conn.error();
  Lease lease(*this, *conn);
  const double backoff_s = std::min(300.0, static_cast<double>(1LL << std::min(attempts - 1, 20)));
  if (!exec_params(*conn,
                   "UPDATE alert_outbox SET next_attempt_at = now() + $2::double precision * interval '1 second', "
                   "last_error = $3 WHERE id = $1",
                   {std::to_string(id), fmt::format("{}", backoff_s), error})
           .ok())
    return pg_error(*conn, "postgres: alert failure not recorded");
  return core::Ok{};
}

core::Status PgStore::upsert_node(const std::string& site, const std::string& node, std::int64_t ts_ms,
                                  const std::string& heartbeat_json) {
  auto conn = acquire();
  if (!conn) return conn.error();
  Lease lease(*this, *conn);
  Res r = exec_params(*conn,
                      "INSERT INTO nodes(site, node, last_heartbeat, received_at, heartbeat) "
                      "VALUES($1, $2, $3::timestamptz, now(), $4::jsonb) ON CONFLICT (site, node) DO UPDATE SET "
                      "last_heartbeat = EXCLUDED.last_heartbeat, received_at = EXCLUDED.received_at, "
                      "heartbeat = EXCLUDED.heartbeat WHERE nodes.last_heartbeat <= EXCLUDED.last_heartbeat",
                      {site, node, rfc3339(ts_ms), heartbeat_json});
  if (!r.ok()) return pg_error(*conn, "postgres: heartbeat not stored");
  return core::Ok{};
}

core::Result<SearchPage> PgStore::search(const SearchQuery& q) {
  std::vector<std::string> params;
  std::string where = "TRUE";
  auto add = [&](const std::string& cond, const std::string& value) {
    params.push_back(value);
    std::string c = cond;
    for (size_t pos; (pos = c.find("$?")) != std::string::npos;) c.replace(pos, 2, fmt::format("${}", params.size()));
    where += " AND " + c;
  };
  if (q.site) add("site = $?", *q.site);
  if (q.node) add("node = $?", *q.node);
  if (q.camera) add("camera = $?", *q.camera);
  if (q.type) add("type = $?", *q.type);
  if (q.rule) add("rule = $?", *q.rule);
  if (q.class_name) add("class = $?", *q.class_name);
  if (q.plate) {
    std::string p = *q.plate;
    for (auto& ch : p) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    switch (q.plate_match) {
      case PlateMatch::exact:
        add("text = $?", p);
        break;
      case PlateMatch::prefix: {
        std::string like;
        for (char ch : p) {
          if (ch == '%' || ch == '_' || ch == '\\') like += '\\';
          like += ch;
        }
        add("text <> '' AND text LIKE $?", like + "%");
        break;
      }
      case PlateMatch::fuzzy:
        // One edit away (insert, delete or substitute one character).
        add("text <> '' AND length(text) BETWEEN length($?) - 1 AND length($?) + 1 AND levenshtein(text, $?) <= 1", p);
        break;
    }
  }
  if (q.since_ms) add("ts_utc >= $?::timestamptz", rfc3339(*q.since_ms));
  if (q.until_ms) add("ts_utc < $?::timestamptz", rfc3339(*q.until_ms));
  if (q.cursor) {
    const auto sep = q.cursor->find('_');
    std::int64_t ts = 0;
    try {
      if (sep == std::string::npos || sep + 1 >= q.cursor->size()) throw std::invalid_argument("no separator");
      size_t used = 0;
      ts = std::stoll(q.cursor->substr(0, sep), &used);
      if (used != sep) throw std::invalid_argument("bad time");
    } catch (const std::exception&) {
      return make_error("bad_cursor", "cursor is not one this server returned", "cursor");
    }
    add("(ts_utc, id) > ($?::timestamptz", rfc3339(ts));
    params.push_back(q.cursor->substr(sep + 1));
    where += fmt::format(", ${})", params.size());
  }
  const std::string sql = fmt::format(
      "SELECT payload::text, (extract(epoch FROM ts_utc) * 1000)::bigint, id FROM events WHERE {} "
      "ORDER BY ts_utc, id LIMIT {}",
      where, q.limit + 1);
  auto conn = acquire();
  if (!conn) return conn.error();
  Lease lease(*this, *conn);
  Res r = exec_params(*conn, sql, params);
  if (!r.ok()) return pg_error(*conn, "postgres: search failed");
  SearchPage page;
  for (int i = 0; i < r.rows(); ++i) {
    if (i == q.limit) {
      page.next_cursor = fmt::format("{}_{}", r.i64(i - 1, 1), r.text(i - 1, 2));
      break;
    }
    page.events_json.push_back(r.text(i, 0));
  }
  return page;
}

core::Result<std::vector<CountRow>> PgStore::counts(const CountsQuery& q) {
  const std::string interval = q.bucket == "15m"  ? "15 minutes"
                               : q.bucket == "1h" ? "1 hour"
                               : q.bucket == "1d" ? "1 day"
                                                  : "1 minute";
  std::vector<std::string> params = {rfc3339(q.since_ms), rfc3339(q.until_ms)};
  std::string where = "minute > $1::timestamptz - interval '1 minute' AND minute < $2::timestamptz";
  auto add = [&](const char* col, const std::optional<std::string>& v) {
    if (!v) return;
    params.push_back(*v);
    where += fmt::format(" AND {} = ${}", col, params.size());
  };
  add("site", q.site);
  add("node", q.node);
  add("camera", q.camera);
  add("rule", q.rule);
  const std::string sql = fmt::format(
      "SELECT site, node, camera, rule, key, (extract(epoch FROM date_bin('{}', minute, "
      "'1970-01-01T00:00:00Z')) * 1000)::bigint AS b, sum(n)::bigint FROM counts_1m WHERE {} "
      "GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 6, 5",
      interval, where);
  auto conn = acquire();
  if (!conn) return conn.error();
  Lease lease(*this, *conn);
  Res r = exec_params(*conn, sql, params);
  if (!r.ok()) return pg_error(*conn, "postgres: counts failed");
  std::vector<CountRow> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.i64(i, 5), r.i64(i, 6)});
  return out;
}

core::Result<std::vector<NodeRow>> PgStore::nodes() {
  auto conn = acquire();
  if (!conn) return conn.error();
  Lease lease(*this, *conn);
  Res r = exec(*conn,
               "SELECT site, node, (extract(epoch FROM last_heartbeat) * 1000)::bigint, "
               "(extract(epoch FROM received_at) * 1000)::bigint, heartbeat::text FROM nodes ORDER BY site, node");
  if (!r.ok()) return pg_error(*conn, "postgres: nodes failed");
  std::vector<NodeRow> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.text(i, 0), r.text(i, 1), r.i64(i, 2), r.i64(i, 3), r.text(i, 4)});
  return out;
}

core::Result<bool> PgStore::known(const std::string& site, const std::optional<std::string>& node) {
  auto conn = acquire();
  if (!conn) return conn.error();
  Lease lease(*this, *conn);
  Res r = node ? exec_params(*conn,
                             "SELECT EXISTS(SELECT 1 FROM nodes WHERE site = $1 AND node = $2) OR "
                             "EXISTS(SELECT 1 FROM events WHERE site = $1 AND node = $2)",
                             {site, *node})
               : exec_params(*conn,
                             "SELECT EXISTS(SELECT 1 FROM nodes WHERE site = $1) OR "
                             "EXISTS(SELECT 1 FROM events WHERE site = $1)",
                             {site});
  if (!r.ok() || r.rows() != 1) return pg_error(*conn, "postgres: lookup failed");
  return r.text(0, 0) == "t";
}

core::Result<std::optional<std::pair<std::string, std::string>>> PgStore::event_origin(const std::string& id) {
  auto conn = acquire();
  if (!conn) return conn.error();
  Lease lease(*this, *conn);
  Res r = exec_params(*conn, "SELECT site, node FROM events WHERE id = $1 LIMIT 1", {id});
  if (!r.ok()) return pg_error(*conn, "postgres: lookup failed");
  if (r.rows() == 0) return std::optional<std::pair<std::string, std::string>>();
  return std::optional(std::pair(r.text(0, 0), r.text(0, 1)));
}

core::Result<std::int64_t> PgStore::event_count() {
  auto conn = acquire();
  if (!conn) return conn.error();
  Lease lease(*this, *conn);
  Res r = exec(*conn, "SELECT count(*) FROM events");
  if (!r.ok() || r.rows() != 1) return pg_error(*conn, "postgres: count failed");
  return r.i64(0, 0);
}

namespace {
constexpr const char* kAlertColumns =
    "id, alert, event_id, site, node, camera, type, (extract(epoch FROM ts_utc) * 1000)::bigint, "
    "(extract(epoch FROM fired_at) * 1000)::bigint, count, payload::text, COALESCE(acked_by, ''), "
    "COALESCE((extract(epoch FROM acked_at) * 1000)::bigint, 0)";

AlertRow alert_row(const Res& r, int i) {
  AlertRow a;
  a.id = r.i64(i, 0);
  a.alert = r.text(i, 1);
  a.event_id = r.text(i, 2);
  a.site = r.text(i, 3);
  a.node = r.text(i, 4);
  a.camera = r.text(i, 5);
  a.type = r.text(i, 6);
  a.ts_utc_ms = r.i64(i, 7);
  a.fired_ms = r.i64(i, 8);
  a.count = r.i64(i, 9);
  a.payload_json = r.text(i, 10);
  a.acked_by = r.text(i, 11);
  a.acked_ms = r.i64(i, 12);
  return a;
}
}  // namespace

core::Result<AlertsPage> PgStore::alerts(const AlertsQuery& q) {
  std::vector<std::string> params;
  std::string where = q.state == AlertState::open           ? "acked_at IS NULL"
                      : q.state == AlertState::acknowledged ? "acked_at IS NOT NULL"
                                                            : "TRUE";
  if (q.before_id) {
    params.push_back(std::to_string(*q.before_id));
    where += fmt::format(" AND id < ${}", params.size());
  }
  auto conn = acquire();
  if (!conn) return conn.error();
  Lease lease(*this, *conn);
  Res r = exec_params(
      *conn, fmt::format("SELECT {} FROM alerts WHERE {} ORDER BY id DESC LIMIT {}", kAlertColumns, where, q.limit + 1),
      params);
  if (!r.ok()) return pg_error(*conn, "postgres: alerts failed");
  AlertsPage page;
  for (int i = 0; i < r.rows(); ++i) {
    if (i == q.limit) {
      page.next_before_id = page.alerts.back().id;
      break;
    }
    page.alerts.push_back(alert_row(r, i));
  }
  return page;
}

core::Result<AlertRow> PgStore::acknowledge_alert(std::int64_t id, const std::string& user, std::int64_t now_ms) {
  auto conn = acquire();
  if (!conn) return conn.error();
  Lease lease(*this, *conn);
  Res r = exec_params(*conn,
                      fmt::format("UPDATE alerts SET acked_by = $2, acked_at = $3::timestamptz WHERE id = $1 AND "
                                  "acked_at IS NULL RETURNING {}",
                                  kAlertColumns),
                      {std::to_string(id), user, rfc3339(now_ms)});
  if (!r.ok()) return pg_error(*conn, "postgres: acknowledge failed");
  if (r.rows() == 1) return alert_row(r, 0);
  Res was = exec_params(*conn, fmt::format("SELECT {} FROM alerts WHERE id = $1", kAlertColumns), {std::to_string(id)});
  if (!was.ok()) return pg_error(*conn, "postgres: acknowledge failed");
  if (was.rows() == 0) return make_error("unknown_alert", fmt::format("no alert {}", id), "id");
  const AlertRow a = alert_row(was, 0);
  return make_error("already_acknowledged",
                    fmt::format("alert {} was acknowledged by {} at {}", id, a.acked_by, rfc3339(a.acked_ms)), "id");
}

}  // namespace vsp::center
