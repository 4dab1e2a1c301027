#!/usr/bin/env bash
# The web UI served by `vsp center`, in Debian's Chromium, against real peers on loopback: a
# throwaway PostgreSQL 15, one nats-server with JetStream, a node analysing the car clip (uplink
# on) and a synthetic node (uplink_load: plate reads among its events). Fleet, live states,
# search with a fuzzy plate and paging, an event's clip fetched from its node through the center,
# charts; then as an operator: a rule pushed from the center to the node (and one it refuses),
# alerts acknowledged, a push to the node once it is offline. Screenshots go to OUT_DIR.
#   center_page_test.sh VSP UPLINK_LOAD OUT_DIR
set -u
VSP=$1 LOAD=$2 OUT=${3:-web-shots}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
T=$(mktemp -d)
chmod 755 "$T"
BASE=$(free_base 4)
NPORT=$BASE PGPORT=$((BASE + 1)) CPORT=$((BASE + 2)) N1PORT=$((BASE + 3))
mkdir -p "$OUT"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for p in ${N1:-} ${L1:-} ${C1:-} ${NATS:-}; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -m immediate -w stop >/dev/null 2>&1
  [ "$fail" -ne 0 ] && for f in "$T"/*.log; do echo "---- $f"; tail -15 "$f"; done
  rm -rf "$T"
}
trap cleanup EXIT
[ -d "$HERE/node_modules/playwright-core" ] || (cd "$HERE" && npm install --no-audit --no-fund --silent) || exit 1
mkdir -p "$T/pg"
[ "$(id -u)" -eq 0 ] && chown postgres: "$T/pg"
as_pg "$PGBIN/initdb" -D "$T/pg/data" -A trust -U postgres --no-sync -E UTF8 >"$T/initdb.log" 2>&1 || { bad "initdb"; exit 1; }
as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -l "$T/pg/log" -w \
  -o "-p $PGPORT -k $T/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null || { bad "pg_ctl start"; exit 1; }
nats-server -js -a 127.0.0.1 -p "$NPORT" -sd "$T/js" >"$T/nats.log" 2>&1 &
NATS=$!
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$NPORT" || { bad "nats-server starts"; exit 1; }
cat >"$T/center.yml" <<YAML
nats: {servers: [nats://127.0.0.1:$NPORT], stream: VSP_EVENTS, replicas: 1, batch: 200}
postgres: {dsn: "host=127.0.0.1 port=$PGPORT user=postgres dbname=postgres"}
api: {listen: 127.0.0.1:$CPORT}
alerts:
  - {name: gate_crossing, site: north, camera: gate, type: line_crossing}
YAML
"$VSP" center "$T/center.yml" >"$T/center.log" 2>&1 &
C1=$!
wait_for 20 curl -sf "http://127.0.0.1:$CPORT/healthz" -o /dev/null || { bad "center starts"; exit 1; }
cat >"$T/n1.yml" <<YAML
site: north
node: n1
detector: {model: nanodet_m_320}
cameras:
  - name: gate
    record_url: $DATA/videos_traffic/car-detection.mp4
    detect_fps: 5
    rules:
      lines: [{name: mid, p1: [0.02, 0.5], p2: [0.98, 0.5]}]
storage: {path: $T/n1, segment_s: 2}
api: {listen: 127.0.0.1:$N1PORT}
uplink: {nats: {servers: [nats://127.0.0.1:$NPORT]}, heartbeat_s: 1}
YAML
"$VSP" serve "$T/n1.yml" >"$T/n1.log" 2>&1 &
N1=$!
"$LOAD" "$T/load.db" "nats://127.0.0.1:$NPORT" east l1 100 2000 >"$T/load.out" 2>"$T/load.log" &
L1=$!
# The synthetic node's events are in PostgreSQL and the real node has sent a crossing.
plates_in() { [ "$(curl -s "http://127.0.0.1:$CPORT/api/events?type=plate_read&limit=1000" | jq '.events | length')" -ge 200 ]; }
crossing_in() { [ "$(curl -s "http://127.0.0.1:$CPORT/api/events?site=north&type=line_crossing&limit=10" | jq '.events | length')" -ge 1 ]; }
check "the synthetic node's plate reads reach the center" wait_for 90 plates_in
check "a crossing of the real node reaches the center" wait_for 120 crossing_in
VSP=$VSP CENTER_CONFIG=$T/center.yml NODE_URL=http://127.0.0.1:$N1PORT NODE_PID=$N1 \
  node "$HERE/center_page_test.mjs" "http://127.0.0.1:$CPORT" "$OUT" || fail=1
wait "$N1" 2>/dev/null # the page test killed it (offline node)
# What the browser did, in the center's audit log (through its API, wherever it is kept), the
# node's, and PostgreSQL.
AUD=$("$VSP" token create --role auditor --ttl-days 1 --config "$T/center.yml" 2>/dev/null)
cursor=
while :; do
  page=$(curl -s -H "Authorization: Bearer $AUD" "http://127.0.0.1:$CPORT/api/audit?limit=1000${cursor:+&cursor=$cursor}")
  jq -c '.records[]' <<<"$page" >>"$T/audit.jsonl"
  cursor=$(jq -r '.next_cursor // empty' <<<"$page")
  [ -n "$cursor" ] || break
done
audited() { jq -rs --arg a "$1" '[.[] | select(.action == $a and .user == "op1") | .result] | join(",")' "$T/audit.jsonl"; }
check "the center audits op1's refused, accepted and offline pushes: $(audited push_rules)" [ "$(audited push_rules)" = 'invalid,ok,ok,failed (504)' ]
check "the center audits the acknowledgement: $(audited ack_alert)" [ "$(audited ack_alert)" = ok ]
node_audited() { [ "$(sqlite3 "$T/n1/vsp.db" "SELECT count(*) FROM audit_log WHERE action = 'set_rules' AND user = 'center:op1' AND result = 'ok'")" = 2 ]; }
check "the node audits the two pushed changes as center:op1" node_audited
mask_audited() { [ "$(sqlite3 "$T/n1/vsp.db" "SELECT count(*) FROM audit_log WHERE action = 'set_rules' AND user = 'center:op1' AND result = 'ok' AND target LIKE 'gate v3:%1 privacy mask(s)%'")" = 1 ]; }
check "the node audits the pushed privacy mask with its count" mask_audited
ack_kept() { [ "$(psql -h 127.0.0.1 -p "$PGPORT" -U postgres -Atc "SELECT count(*) FROM alerts WHERE acked_by = 'op1' AND acked_at > now() - interval '10 minutes'")" = 1 ]; }
check "the acknowledgement is kept in PostgreSQL with who and when" ack_kept
TOK=$("$VSP" token create --role operator --ttl-days 1 --config "$T/center.yml" 2>/dev/null)
page1=$(curl -s -H "Authorization: Bearer $TOK" "http://127.0.0.1:$CPORT/api/alerts?state=all&limit=1")
page2=$(curl -s -H "Authorization: Bearer $TOK" "http://127.0.0.1:$CPORT/api/alerts?state=all&limit=1&cursor=$(jq -r .next_cursor <<<"$page1")")
alerts_paged() { [ "$(jq -r '.alerts[0].id' <<<"$page1")" -gt "$(jq -r '.alerts[0].id' <<<"$page2")" ]; }
check "alerts page newest first with a cursor" alerts_paged
offline=$(curl -s -X PUT -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' -d '{"lines": []}' \
  -w ' %{http_code}' "http://127.0.0.1:$CPORT/api/nodes/north/n1/cameras/gate/rules")
offline_refused() { [[ "$offline" == *'"code":"node_offline"'* && "$offline" == *' 504' ]]; }
check "a push to the offline node is 504 node_offline: $(tr -d '\n' <<<"$offline")" offline_refused
bad_overlays=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" "http://127.0.0.1:$CPORT/api/nodes/north/n1/cameras/gate/snapshot.jpg?overlays=2")
check "the relay refuses overlays=2 before asking the node: $bad_overlays" [ "$bad_overlays" = 400 ]
[ $fail -eq 0 ] && echo "center_page_test: all passed"
exit $fail
