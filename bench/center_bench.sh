#!/usr/bin/env bash
# Events/s from a node through JetStream into PostgreSQL on this machine, stage by stage, with the
# real servers on loopback (nats-server R1, a throwaway PostgreSQL 15):
#   1. node store: N synthetic events written (event + outbox row per transaction) by uplink_load;
#   2. uplink:     the same events published to JetStream and deleted from the outbox (center off,
#                  so the stream holds the backlog);
#   3. center:     the backlog fetched, COPYed, inserted with ON CONFLICT DO NOTHING, acked;
#   4. raw COPY of N rows of the same shape with psql, the PostgreSQL limit in the same run.
#   bench/center_bench.sh [BUILD_DIR] [N]          (default N: 50000)
set -euo pipefail
BUILD=${1:-build}
N=${2:-50000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VSP=$ROOT/$BUILD/src/app/vsp LOAD=$ROOT/$BUILD/tests/tools/uplink_load
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
T=$(mktemp -d); chmod 755 "$T"
BASE=$((30000 + RANDOM % 10000)); NPORT=$BASE PGPORT=$((BASE + 1)) CPORT=$((BASE + 2))
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$T/pg"; [ "$(id -u)" -eq 0 ] && chown postgres: "$T/pg"
cleanup() {
  for p in ${C:-} ${NATS:-}; do kill -9 "$p" 2>/dev/null || true; done
  as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT
as_pg "$PGBIN/initdb" -D "$T/pg/data" -A trust -U postgres --no-sync -E UTF8 >/dev/null
# fsync stays on: the numbers are for a durable database.
as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -l "$T/pg/log" -w -o "-p $PGPORT -k $T/pg -c listen_addresses=127.0.0.1" start >/dev/null
sql() { psql -X -q -t -A -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -c "$1"; }
nats-server -js -sd "$T/js" -a 127.0.0.1 -p "$NPORT" >"$T/nats.log" 2>&1 &
NATS=$!
sleep 1
kill -0 "$NATS" 2>/dev/null || { echo "nats-server did not start (port $NPORT taken?)"; tail -3 "$T/nats.log"; exit 1; }
cat >"$T/c.yml" <<YAML
nats: {servers: [nats://127.0.0.1:$NPORT], replicas: 1, batch: ${BENCH_BATCH:-1000}}
postgres: {dsn: "host=127.0.0.1 port=$PGPORT user=postgres dbname=postgres"}
api: {listen: 127.0.0.1:$CPORT}
YAML
# A first center run creates the stream and the consumer, then leaves the backlog to build up.
"$VSP" center "$T/c.yml" >"$T/c.log" 2>&1 & C=$!
for _ in $(seq 20); do curl -sf "http://127.0.0.1:$CPORT/healthz" -o /dev/null && break; sleep 0.5; done
sleep 1; kill -TERM "$C"; wait "$C" || true; C=

out=$("$LOAD" "$T/load.db" "nats://127.0.0.1:$NPORT" bench b1 1e9 "$N")
read -r _ written _ left _ write_s _ drained_s <<<"$out"
printf 'cores=%s N=%s\n' "$(nproc)" "$N"
printf '1+2. node store + uplink to JetStream (concurrent): written %s in %.2f s (%.0f/s); outbox drained at %.2f s (%.0f events/s end of uplink), left %s\n' \
  "$written" "$write_s" "$(echo "$written / $write_s" | bc -l)" "$drained_s" "$(echo "$written / $drained_s" | bc -l)" "$left"

t0=$(date +%s.%N)
"$VSP" center "$T/c.yml" >>"$T/c.log" 2>&1 & C=$!
count() { sql 'SELECT count(*) FROM events' 2>/dev/null || echo 0; }
while [ "$(count)" -eq 0 ]; do sleep 0.05; done
tf=$(date +%s.%N); first=$(count)
while [ "$(count)" -lt "$written" ]; do sleep 0.05; done
t1=$(date +%s.%N)
center_s=$(echo "$t1 - $t0" | bc -l)
steady_s=$(echo "$t1 - $tf" | bc -l)
printf '3.   center, JetStream backlog -> PostgreSQL: %s events in %.2f s with start-up (%.0f/s), %.0f events/s after the first commit\n' \
  "$written" "$center_s" "$(echo "$written / $center_s" | bc -l)" "$(echo "($written - $first) / $steady_s" | bc -l)"

sql "COPY (SELECT id, site, node, camera, type, rule, ts_utc, track_id, class, direction, text, payload FROM events) TO STDOUT" >"$T/rows.tsv"
sql "CREATE TABLE copy_bench (LIKE events INCLUDING DEFAULTS)"
t0=$(date +%s.%N)
psql -X -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres \
  -c "\\copy copy_bench(id, site, node, camera, type, rule, ts_utc, track_id, class, direction, text, payload) FROM '$T/rows.tsv'"
t1=$(date +%s.%N)
copy_s=$(echo "$t1 - $t0" | bc -l)
printf '4.   raw COPY of the same rows (psql, no indexes, no conflict check): %.2f s (%.0f rows/s)\n' \
  "$copy_s" "$(echo "$written / $copy_s" | bc -l)"
