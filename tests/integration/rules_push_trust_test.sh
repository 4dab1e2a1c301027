#!/usr/bin/env bash
# Who may push rules to a node (docs/security.md): a NATS server with the per-account permissions
# the docs recommend — the center may do anything, a node may publish only its own events and
# heartbeats (and answer requests it received), and subscribe only its own rules and evidence
# subjects. With those, a real node (`vsp serve`) and the center work end to end: a push from
# the center is applied, and a synthetic node's events reach PostgreSQL over JetStream. A node's
# credentials cannot push rules to itself or to another node: NATS refuses the publish and the
# rules stay as they were.   rules_push_trust_test.sh VSP UPLINK_LOAD
set -u
. "$(dirname "$0")/lib.sh"
VSP=$1 LOAD=$2
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
T=$(mktemp -d)
chmod 755 "$T"
BASE=$(free_base 4)
PGPORT=$BASE NPORT=$((BASE + 1)) CPORT=$((BASE + 2)) N1PORT=$((BASE + 3))
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for p in ${C:-} ${N1:-} ${L1:-} ${NATS:-}; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -m immediate -w stop >/dev/null 2>&1
  [ "$fail" -ne 0 ] && for f in "$T"/*.log; do echo "---- $f"; tail -15 "$f"; done
  rm -rf "$T"
}
trap cleanup EXIT
for u in center n1 l1; do printf '%s-pw-%s\n' "$u" "$RANDOM$RANDOM" >"$T/$u.pw"; done
pw() { head -1 "$T/$1.pw"; }
# ---- NATS: one account per role; a node's permissions name only its own subjects ------------------
node_user() {  # node_user USER SITE NODE
  cat <<CONF
    {user: $1, password: "$(pw "$1")", permissions: {
      publish: {allow: ["vsp.events.$2.$3.>", "vsp.heartbeat.$2.$3"]},
      subscribe: {allow: ["vsp.rules.$2.$3", "vsp.evidence.$2.$3", "_INBOX.>"]},
      allow_responses: true}}
CONF
}
cat >"$T/nats.conf" <<CONF
listen: 127.0.0.1:$NPORT
jetstream { store_dir: "$T/js" }
authorization {
  users: [
    {user: center, password: "$(pw center)"}
$(node_user n1 north n1)
$(node_user l1 east l1)
  ]
}
CONF
nats-server -c "$T/nats.conf" >"$T/nats.log" 2>&1 &
NATS=$!
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$NPORT" 2>/dev/null || { bad "nats-server starts"; exit 1; }
mkdir -p "$T/pg"
[ "$(id -u)" -eq 0 ] && chown postgres: "$T/pg"
as_pg "$PGBIN/initdb" -D "$T/pg/data" -A trust -U postgres --no-sync -E UTF8 >"$T/initdb.log" 2>&1 || { bad "initdb"; exit 1; }
as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -l "$T/pg/log" -w \
  -o "-p $PGPORT -k $T/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null || { bad "pg_ctl start"; exit 1; }
cat >"$T/center.yml" <<YAML
nats: {servers: [nats://127.0.0.1:$NPORT], user: center, password_file: $T/center.pw, replicas: 1}
postgres: {dsn: "host=127.0.0.1 port=$PGPORT user=postgres dbname=postgres"}
api: {listen: 127.0.0.1:$CPORT}
YAML
"$VSP" center "$T/center.yml" >"$T/center.log" 2>&1 &
C=$!
wait_for 20 curl -sf "http://127.0.0.1:$CPORT/healthz" -o /dev/null || { bad "center starts"; exit 1; }
# A node whose camera never connects: its rules are served and replaced all the same.
cat >"$T/n1.yml" <<YAML
site: north
node: n1
detector: {model: nanodet_m_320}
cameras:
  - name: gate
    record_url: rtsp://127.0.0.1:1/none
    rules:
      lines: [{name: mid, p1: [0.02, 0.5], p2: [0.98, 0.5]}]
storage: {path: $T/n1}
api: {listen: 127.0.0.1:$N1PORT}
uplink: {nats: {servers: [nats://127.0.0.1:$NPORT], user: n1, password_file: $T/n1.pw}, heartbeat_s: 1}
YAML
"$VSP" serve "$T/n1.yml" >"$T/n1.log" 2>&1 &
N1=$!
"$LOAD" "$T/load.db" "nats://l1:$(pw l1)@127.0.0.1:$NPORT" east l1 50 100 >"$T/load.out" 2>"$T/load.log" &
L1=$!
C_API=http://127.0.0.1:$CPORT N_API=http://127.0.0.1:$N1PORT
known() { curl -s "$C_API/api/nodes" | jq -e '.nodes[] | select(.site == "north" and .node == "n1")' >/dev/null; }
check "the node's heartbeat reaches the center under its restricted account" wait_for 30 known
events_in() { [ "$(curl -s "$C_API/api/events?site=east&limit=1000" | jq '.events | length')" -eq 100 ]; }
check "a node's events reach PostgreSQL over JetStream under its restricted account" wait_for 60 events_in
version() { curl -s "$N_API/api/cameras/gate/rules" | jq -r .version; }
check "the node starts at rules version 1" [ "$(version)" = 1 ]

# ---- The center pushes: applied ------------------------------------------------------------------
code=$(curl -s -o "$T/push.json" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
  -d '{"lines": [{"name": "pushed", "p1": [0.1, 0.6], "p2": [0.9, 0.6]}]}' "$C_API/api/nodes/north/n1/cameras/gate/rules")
check "the center's push is applied: $code $(head -c 120 "$T/push.json")" [ "$code" = 200 ] && [ "$(jq -r .version "$T/push.json")" = 2 ]
check "the node's own API holds the pushed rule" bash -c "curl -s '$N_API/api/cameras/gate/rules' | jq -e '.rules.lines | map(.name) == [\"pushed\"]' >/dev/null"

# ---- A node's credentials: NATS refuses the publish, the rules stay ------------------------------
# NATS's text protocol over bash's /dev/tcp: CONNECT as USER, publish a push on SUBJECT, PING.
nats_push_as() {  # nats_push_as USER SUBJECT -> the server's lines
  local body='{"op":"put","camera":"gate","body":"{\"lines\": []}","by":"intruder"}'
  exec 3<>"/dev/tcp/127.0.0.1/$NPORT"
  printf 'CONNECT {"user":"%s","pass":"%s","verbose":false,"pedantic":false,"protocol":1}\r\nPUB %s _INBOX.intruder %d\r\n%s\r\nPING\r\n' \
    "$1" "$(pw "$1")" "$2" "${#body}" "$body" >&3
  timeout 3 cat <&3 | tr -d '\r' | grep -v '^INFO' | head -3 | tr '\n' ' '
  exec 3<&-
}
own=$(nats_push_as n1 vsp.rules.north.n1)
check "the node's own account may not push to itself: $own" grep -q "Permissions Violation for Publish to \"vsp.rules.north.n1\"" <<<"$own"
other=$(nats_push_as l1 vsp.rules.north.n1)
check "another node's account may not push to it: $other" grep -q "Permissions Violation for Publish to \"vsp.rules.north.n1\"" <<<"$other"
sleep 1
check "the node's rules are still the center's push (version 2)" [ "$(version)" = 2 ]
check "the node audited the center's push only" \
  [ "$(sqlite3 "$T/n1/vsp.db" "SELECT group_concat(user || ' ' || result) FROM audit_log WHERE action = 'set_rules'")" = "center:- ok" ]
[ $fail -eq 0 ] && echo "rules_push_trust_test: all passed"
exit $fail
