#!/usr/bin/env bash
# Events/s from publishers through NATS JetStream into PostgreSQL on this machine, with the real
# servers on loopback, for an R1 stream (one nats-server) and an R3 stream (a 3-server JetStream
# cluster), side by side with the raw limits measured in the same run:
#   raw publish/ack  N events published straight to JetStream by js_publish (the node's wire JSON,
#                    Nats-Msg-Id = id, async with a window, every ack awaited), center off;
#   center alone     that backlog drained by `vsp center` into PostgreSQL (COPY + ON CONFLICT DO
#                    NOTHING + rollups, ack after commit), after its first commit;
#   end to end       the center running, N more events published: from the first publish until the
#                    last row is committed (publishers -> JetStream -> center -> PostgreSQL);
#   raw COPY         the same rows COPYed by psql into an unindexed table (the PostgreSQL limit).
# Then every event is checked to be in PostgreSQL exactly once. CPU per event of each process
# (from /proc) during the end-to-end stage says what bounds it. The node's own limit (SQLite
# event + outbox row per transaction, drained by the real uplink) is measured apart.
#   bench/center_bench.sh [BUILD_DIR] [N] [MODES]      (default N 100000, MODES "1 3")
# Environment: BENCH_BATCH (nats.batch, default 2000), BENCH_WORKERS (postgres.workers, default 3),
# BENCH_PUBLISHERS (default 2), BENCH_NODE_N (events for the node stage, default 20000, 0 = skip),
# BENCH_WRAP (a command prefix for the center, e.g. "gdb -batch -ex run -ex bt --args").
set -uo pipefail
BUILD=${1:-build}
N=${2:-100000}
MODES=${3:-1 3}
BATCH=${BENCH_BATCH:-2000} WORKERS=${BENCH_WORKERS:-3} PUBS=${BENCH_PUBLISHERS:-2} NODE_N=${BENCH_NODE_N:-20000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/integration/lib.sh"
VSP=$ROOT/$BUILD/src/app/vsp LOAD=$ROOT/$BUILD/tests/tools/uplink_load PUB=$ROOT/$BUILD/tests/tools/js_publish
for b in "$VSP" "$LOAD" "$PUB"; do [ -x "$b" ] || { echo "missing $b (build vsp, uplink_load, js_publish)"; exit 1; }; done
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
TICK=$(getconf CLK_TCK)
T=$(mktemp -d); chmod 755 "$T"
BASE=$(free_base 12)
PGPORT=$((BASE + 9)) CPORT=$((BASE + 10))
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$T/pg"; [ "$(id -u)" -eq 0 ] && chown postgres: "$T/pg"
declare -a NATS=()
C=
cleanup() {
  for p in ${C:-} ${NATS[*]:-}; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
now() { date +%s.%N; }
calc() { echo "$1" | bc -l; }
rate() { printf "%.0f" "$(calc "($1) / ($2)")"; }
# CPU ticks (user + system) of the given processes
ticks() { local s=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $s; }
pg_pids() { local pm; pm=$(head -1 "$T/pg/data/postmaster.pid"); echo "$pm $(pgrep -P "$pm" | tr '\n' ' ')"; }

# ---- PostgreSQL 15, fsync on (the numbers are for a durable database) --------------------------------
as_pg "$PGBIN/initdb" -D "$T/pg/data" -A trust -U postgres --no-sync -E UTF8 >/dev/null || exit 1
as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -l "$T/pg/log" -w -o "-p $PGPORT -k $T/pg -c listen_addresses=127.0.0.1" start >/dev/null || exit 1
sql() { psql -X -q -t -A -h 127.0.0.1 -p "$PGPORT" -U postgres -d "$DB" -c "$1"; }

start_nats() {  # R: 1 = one server, 3 = a 3-server JetStream cluster
  local r=$1 i routes=""
  NATS=()
  if [ "$r" -eq 1 ]; then
    nats-server -js -sd "$T/js1" -a 127.0.0.1 -p "$BASE" -m $((BASE + 6)) >"$T/nats0.log" 2>&1 &
    NATS[0]=$!
    URLS="nats://127.0.0.1:$BASE"
  else
    for i in 0 1 2; do routes+="${routes:+, }nats-route://127.0.0.1:$((BASE + 3 + i))"; done
    for i in 0 1 2; do
      cat >"$T/nats$i.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:$((BASE + i))
http: 127.0.0.1:$((BASE + 6 + i))
jetstream { store_dir: "$T/js3_$i", max_file_store: 8GB, max_memory_store: 64MB }
cluster { name: bench, listen: 127.0.0.1:$((BASE + 3 + i)), routes: [$routes] }
CONF
      nats-server -c "$T/nats$i.conf" >"$T/nats$i.log" 2>&1 &
      NATS[i]=$!
    done
    URLS="nats://127.0.0.1:$BASE,nats://127.0.0.1:$((BASE + 1)),nats://127.0.0.1:$((BASE + 2))"
  fi
  for _ in $(seq 40); do
    curl -s "http://127.0.0.1:$((BASE + 6))/jsz" | jq -e "if $r == 1 then .config != null else .meta_cluster.leader // empty end" \
      >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "nats-server (R$r) did not start"; tail -3 "$T"/nats*.log; return 1
}
stop_nats() { kill -TERM "${NATS[@]}" 2>/dev/null; wait "${NATS[@]}" 2>/dev/null; NATS=(); }
inserted() { curl -s "http://127.0.0.1:$CPORT/metrics" | awk '/^vsp_center_events_inserted_total/{print $2}'; }
start_center() {
  ${BENCH_WRAP:-} "$VSP" center "$T/c.yml" >>"$T/c.log" 2>&1 & C=$!
  for _ in $(seq 100); do [ -n "$(inserted)" ] && return 0; kill -0 "$C" 2>/dev/null || break; sleep 0.1; done
  echo "center did not start"; tail -5 "$T/c.log"; return 1
}
stop_center() { kill -TERM "$C" 2>/dev/null; wait "$C" 2>/dev/null; C=; }
# wait_inserted TARGET: until the running center has inserted TARGET events (600 s at most)
wait_inserted() {
  local deadline=$(($(date +%s) + 600)) v
  while :; do
    v=$(inserted); [ -n "$v" ] && [ "$v" -ge "$1" ] && return 0
    [ "$(date +%s)" -gt "$deadline" ] && { echo "timed out at $v of $1 events"; return 1; }
    kill -0 "$C" 2>/dev/null || { echo "the center died at $v of $1 events"; return 1; }
    sleep 0.02
  done
}

declare -A RES
run_mode() {
  local r=$1 out t0 tf t1 first c0 c1 n0 n1 p0 p1 pub
  DB=r$r
  DB=postgres sql "CREATE DATABASE $DB" || return 1
  start_nats "$r" || return 1
  cat >"$T/c.yml" <<YAML
nats: {servers: [${URLS//,/, }], replicas: $r, batch: $BATCH}
postgres: {dsn: "host=127.0.0.1 port=$PGPORT user=postgres dbname=$DB", workers: $WORKERS}
api: {listen: 127.0.0.1:$CPORT}
YAML
  # The center creates the stream (R$r) and the durable consumer, then stops.
  start_center || return 1
  stop_center
  # ---- raw publish/ack (center off: the stream keeps the backlog) ------------------------------------
  out=$("$PUB" "$URLS" "$N" "$PUBS" 4000 raw) || { echo "js_publish failed: $out"; return 1; }
  RES[pub_$r]=$(awk '{print $10}' <<<"$out")
  # ---- the center alone drains the backlog ------------------------------------------------------------
  t0=$(now)
  start_center || return 1
  while [ "$(inserted)" -eq 0 ]; do sleep 0.01; done
  tf=$(now); first=$(inserted)
  wait_inserted "$N" || return 1
  t1=$(now)
  RES[drain_$r]=$(rate "$N - $first" "$t1 - $tf")
  # ---- end to end: the center running, publishers start -------------------------------------------------
  c0=$(ticks "$C"); n0=$(ticks "${NATS[@]}"); p0=$(ticks $(pg_pids))
  t0=$(now)
  pub=$( { /usr/bin/time -f 'cpu %U %S' "$PUB" "$URLS" "$N" "$PUBS" 4000 e2e; } 2>&1) || { echo "js_publish failed: $pub"; return 1; }
  wait_inserted $((2 * N)) || return 1
  t1=$(now)
  c1=$(ticks "$C"); n1=$(ticks "${NATS[@]}"); p1=$(ticks $(pg_pids))
  t0=$(awk '/msg_per_s/{print $12}' <<<"$pub")  # the first publish (the JSON is made before it)
  RES[e2e_$r]=$(rate "$N" "$t1 - $t0")
  RES[e2epub_$r]=$(awk '/msg_per_s/{print $10}' <<<"$pub")
  local pub_cpu; pub_cpu=$(awk '/^cpu/{print $2 + $3}' <<<"$pub")
  RES[cpu_$r]=$(printf 'nats-server %.1f, center %.1f, PostgreSQL %.1f, publishers %.1f (total %.1f)' \
    "$(calc "($n1 - $n0) / $TICK * 1000000 / $N")" "$(calc "($c1 - $c0) / $TICK * 1000000 / $N")" \
    "$(calc "($p1 - $p0) / $TICK * 1000000 / $N")" "$(calc "$pub_cpu * 1000000 / $N")" \
    "$(calc "(($n1 - $n0 + $c1 - $c0 + $p1 - $p0) / $TICK + $pub_cpu) * 1000000 / $N")")
  stop_center
  stop_nats
  # ---- exactly once ------------------------------------------------------------------------------------
  RES[check_$r]=$(sql "SELECT count(*) || ' rows, ' || count(DISTINCT id) || ' distinct ids' FROM events")
  [ "$(sql 'SELECT count(DISTINCT id) = count(*) AND count(*) = '"$((2 * N))"' FROM events')" = t ] || RES[check_$r]+=" MISMATCH (want $((2 * N)))"
  # ---- raw COPY of the same rows into an unindexed table ------------------------------------------------
  sql "COPY (SELECT id, site, node, camera, type, rule, ts_utc, track_id, class, direction, text, payload FROM events LIMIT $N) TO STDOUT" >"$T/rows.tsv"
  sql "CREATE TABLE copy_bench (LIKE events INCLUDING DEFAULTS)"
  t0=$(now)
  psql -X -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d "$DB" \
    -c "\\copy copy_bench(id, site, node, camera, type, rule, ts_utc, track_id, class, direction, text, payload) FROM '$T/rows.tsv'"
  t1=$(now)
  RES[copy_$r]=$(rate "$N" "$t1 - $t0")
  rm -f "$T/rows.tsv"
  return 0
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $MODES; do
  run_mode "$r" || { echo "R$r failed"; tail -5 "$T/c.log"; exit 1; }
done
# ---- the node's own limit: SQLite event + outbox row per transaction, drained by the uplink -------------
node=""
if [ "$NODE_N" -gt 0 ]; then
  start_nats 1 >/dev/null && {
    out=$("$LOAD" "$T/load.db" "nats://127.0.0.1:$BASE" bench n1 1e9 "$NODE_N")
    read -r _ written _ left _ write_s _ drained_s <<<"$out"
    node=$(printf '%s events written in %.2f s (%.0f/s), outbox drained to JetStream at %.2f s (%.0f/s), %s left' \
      "$written" "$write_s" "$(calc "$written / $write_s")" "$drained_s" "$(calc "$written / $drained_s")" "$left")
    stop_nats
  }
fi
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

printf '\ncores %s, load average %s at start, %s at end; N = %s events per stage; center nats.batch %s, postgres.workers %s; %s publishers\n' \
  "$(nproc)" "$LOAD0" "$LOAD1" "$N" "$BATCH" "$WORKERS" "$PUBS"
printf '%-58s' "stage"; for r in $MODES; do printf '%12s' "R$r"; done; echo
row() { printf '%-58s' "$1"; for r in $MODES; do printf '%12s' "${RES[${2}_$r]}"; done; echo; }
row "raw JetStream publish/ack, center off (msg/s)" pub
row "center alone: JetStream backlog -> PostgreSQL (events/s)" drain
row "end to end: publishers -> JetStream -> PostgreSQL (ev/s)" e2e
row "  (publish rate during end to end, msg/s)" e2epub
row "raw PostgreSQL COPY, unindexed table (rows/s)" copy
printf '%-58s' "end to end / raw publish"; for r in $MODES; do printf '%12.2f' "$(calc "${RES[e2e_$r]} / ${RES[pub_$r]}")"; done; echo
printf '%-58s' "end to end / raw COPY"; for r in $MODES; do printf '%12.2f' "$(calc "${RES[e2e_$r]} / ${RES[copy_$r]}")"; done; echo
for r in $MODES; do echo "R$r CPU µs per event, end to end: ${RES[cpu_$r]}"; done
for r in $MODES; do echo "R$r exactly once: ${RES[check_$r]}"; done
[ -n "$node" ] && echo "node store + uplink (uplink_load): $node"
exit 0
