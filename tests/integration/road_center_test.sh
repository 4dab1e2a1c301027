#!/usr/bin/env bash
# The road role through the bus, with real servers on loopback (nats-server -js, a throwaway
# PostgreSQL 15 cluster): a node whose red light comes from the NATS subject vsp.signals.<site>.<name>
# as a traffic controller publishes it (bad, stale and unknown-signal messages refused, counted and
# logged once), then the red_light's evidence pack listed and fetched through the center, role-
# checked and audited, and the fetched pack verified against the key the node announces.
#   road_center_test.sh VSP
set -u
. "$(dirname "$0")/lib.sh"
VSP=$1
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
CLIP=$DATA/videos_traffic/car-detection.mp4
T=$(mktemp -d)
chmod 755 "$T"
BASE=$(free_base 4)
PGPORT=$BASE NPORT=$((BASE + 1)) CPORT=$((BASE + 2)) NODEPORT=$((BASE + 3))
CENTER=http://127.0.0.1:$CPORT NODE_API=http://127.0.0.1:$NODEPORT
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$T/pg"
[ "$(id -u)" -eq 0 ] && chown postgres: "$T/pg"
cleanup() {
  for p in ${NODE:-} ${C:-} ${NATS:-}; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -m immediate -w stop >/dev/null 2>&1
  if [ "$fail" -ne 0 ]; then
    for f in "$T"/*.log; do echo "---- $f"; tail -25 "$f"; done
  fi
  rm -rf "$T"
}
trap cleanup EXIT

# nats_pub SUBJECT BODY: one message in the NATS text protocol over a plain TCP socket (what a
# traffic controller's gateway sends); returns once the server has answered the PING after it.
nats_pub() {
  local line
  exec 3<>"/dev/tcp/127.0.0.1/$NPORT" || return 1
  read -r -t 5 line <&3 # INFO {...}
  printf 'CONNECT {"verbose":false,"pedantic":false}\r\nPUB %s %d\r\n%s\r\nPING\r\n' "$1" "${#2}" "$2" >&3
  while read -r -t 5 line <&3; do [[ $line == PONG* ]] && break; done
  exec 3<&- 3>&-
}
now_utc() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
metric() { curl -s "$NODE_API/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

# ---- Servers: PostgreSQL, NATS (JetStream), the center with accounts ---------------------------------
as_pg "$PGBIN/initdb" -D "$T/pg/data" -A trust -U postgres --no-sync -E UTF8 >"$T/initdb.log" 2>&1 || { bad "initdb"; exit 1; }
as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -l "$T/pg/log" -w \
  -o "-p $PGPORT -k $T/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null || { bad "pg_ctl start"; exit 1; }
nats-server -a 127.0.0.1 -p "$NPORT" -js -sd "$T/js" >"$T/nats.log" 2>&1 &
NATS=$!
cat >"$T/center.yml" <<YAML
nats: {servers: [nats://127.0.0.1:$NPORT]}
postgres: {dsn: "host=127.0.0.1 port=$PGPORT user=postgres dbname=postgres"}
api: {listen: 127.0.0.1:$CPORT}
YAML
printf 'correct horse battery\n' >"$T/pw"
for r in viewer operator auditor; do
  "$VSP" user add "$r-user" --role $r --password-file "$T/pw" --config "$T/center.yml" 2>/dev/null || bad "user add $r"
  eval "TOK_$r=\$(\"$VSP\" token create --role $r --ttl-days 1 --config \"$T/center.yml\" 2>/dev/null)"
done
"$VSP" center "$T/center.yml" >"$T/center.log" 2>&1 & C=$!
wait_for 30 curl -sf "$CENTER/healthz" -o /dev/null || { bad "center up"; exit 1; }
as() { local r=$1; shift; curl -s -H "Authorization: Bearer $(eval echo "\$TOK_$r")" "$@"; }

# ---- The node: a stop line governed by signal `main`, its events and evidence over the uplink --------
cat >"$T/node.yml" <<YAML
site: s1
node: n1
detector: {model: yolox_nano}
cameras:
  - name: lot
    record_url: $CLIP
    detect_fps: 5
    tracker: {high_score: 0.3, new_track_score: 0.35}   # the car park's weak detections (docs/tracking.md)
    calibration:
      points:
        - {image: [0.0, 1.0], world: [0.0, 0.0]}
        - {image: [1.0, 1.0], world: [7.3, 0.0]}
        - {image: [1.0, 0.0], world: [9.15, 5.2]}
        - {image: [0.0, 0.0], world: [-1.85, 5.2]}
    signals:
      - {name: main}
    rules:
      stop_lines:
        - {name: stop, p1: [0.95, 0.5], p2: [0.05, 0.5], signal: main, amber_grace_s: 0.5,
           classes: [car, truck, bus, cell phone, toilet, suitcase, remote, laptop, mouse, keyboard, book]}
storage: {path: $T/data, segment_s: 2}
api: {listen: 127.0.0.1:$NODEPORT}
uplink: {nats: {servers: [nats://127.0.0.1:$NPORT]}, heartbeat_s: 1}
YAML
"$VSP" serve "$T/node.yml" >"$T/node.log" 2>&1 & NODE=$!
wait_for 30 curl -sf "$NODE_API/healthz" -o /dev/null || { bad "node up"; exit 1; }
wait_for 20 grep -q "uplink.*connected to" "$T/node.log" || bad "node's uplink connects"
check "the node says which subject it reads signals from" grep -q "signal states are read from NATS subjects vsp.signals.s1.<signal>" "$T/node.log"

echo "== signal states from NATS: refusals first (counted, logged once per kind)"
S=vsp.signals.s1.main
nats_pub "$S" 'not json' && nats_pub "$S" 'not json' && nats_pub "$S" '{"state": "purple"}'
nats_pub "$S" "{\"state\": \"red\", \"ts\": \"$(date -u -d '-5 min' +%Y-%m-%dT%H:%M:%S.000Z)\"}"
nats_pub "$S" "{\"state\": \"red\", \"ts\": \"$(date -u -d '+1 min' +%Y-%m-%dT%H:%M:%S.000Z)\"}"
nats_pub vsp.signals.s1.nope '{"state": "red"}'
counted() { [ "$(metric "vsp_signal_updates_total{result=\"$1\",source=\"nats\"}")" = "$2" ]; }
check "malformed messages counted (2)" wait_for 5 counted bad_signal 2
check "an unknown state counted" wait_for 5 counted bad_state 1
check "a stale message counted" wait_for 5 counted stale_signal 1
check "a message from the future counted" wait_for 5 counted bad_time 1
check "a message for an undeclared signal counted" wait_for 5 counted unknown_signal 1
check "two malformed messages in a row: logged once" \
  [ "$(grep -c 'signal main: nats update refused: .*(bad_signal)' "$T/node.log")" = 1 ]
check "the stale one says how old it was" grep -q "signal main: nats update refused: ts: 30[0-9].[0-9] s old on arrival" "$T/node.log"
check "refusals changed nothing" [ "$(curl -s "$NODE_API/api/signals" | jq -r '.signals[0].state')" = unknown ]

echo "== a controller turns main red over NATS: the same board as PUT /api/signals"
red_at=$(now_utc)
nats_pub "$S" "{\"state\": \"red\", \"ts\": \"$red_at\"}"
nats_pub "$S" "{\"state\": \"red\", \"ts\": \"$(now_utc)\"}" # controllers repeat their state
is_red() { [ "$(curl -s "$NODE_API/api/signals" | jq -r '.signals[] | select(.name == "main") | .state + " " + .source')" = "red nats" ]; }
check "GET /api/signals: main red, from nats" wait_for 5 is_red
check "since is the controller's time" [ "$(curl -s "$NODE_API/api/signals" | jq -r '.signals[0].since')" = "$red_at" ]
check "the change counted as applied" wait_for 5 counted applied 1
check "the repeat counted as a repeat" wait_for 5 counted repeat 1
check "the change logged once, not its repeat" bash -c \
  "[ \$(grep -c 'signal main: red at .* (from nats, was unknown)' '$T/node.log') = 1 ]"
has_red() { [ "$(curl -s "$NODE_API/api/events?camera=lot&type=red_light&limit=10" | jq '.events | length')" -ge 1 ]; }
wait_for 90 has_red || bad "a red_light event within 90 s (a car crosses every ~10 s of the looped clip)"
ev=$(curl -s "$NODE_API/api/events?camera=lot&type=red_light&limit=1" | jq '.events[0]')
eid=$(jq -r .id <<<"$ev")
check "the red_light came after the NATS message" bash -c "[[ '$(jq -r .ts_utc <<<"$ev")' > '$red_at' ]]"
check "it had been red >= the amber grace" bash -c "jq -e '.attributes.red_for_s >= 0.5' <<<'$ev' >/dev/null"
nats_pub "$S" "{\"state\": \"green\", \"ts\": \"$(now_utc)\"}"
check "green over NATS" wait_for 5 bash -c "[ \"\$(curl -s '$NODE_API/api/signals' | jq -r '.signals[0].state')\" = green ]"

curl -s -X PUT -H 'Content-Type: application/json' -d "{\"state\": \"amber\", \"ts\": \"$(now_utc)\"}" "$NODE_API/api/signals/main" >/dev/null
check "PUT /api/signals goes through the same path: amber from api, counted" bash -c \
  "[ \"\$(curl -s '$NODE_API/api/signals' | jq -r '.signals[0].state + \" \" + .signals[0].source')\" = 'amber api' ] &&
   curl -s '$NODE_API/metrics' | grep -q '^vsp_signal_updates_total{result=\"applied\",source=\"api\"} 1'"

echo "== the red_light's evidence pack through the center"
at_center() { [ "$(as operator "$CENTER/api/events?type=red_light&limit=100" | jq --arg id "$eid" '[.events[] | select(.id == $id)] | length')" = 1 ]; }
check "the red_light reaches the center" wait_for 30 at_center
has_clip() { [ -s "$T/data/evidence/$eid/clip.mp4" ]; }
wait_for 40 has_clip || bad "the pack gets its clip once the recording covers +5 s"
sleep 1
check "viewer may not list a pack: 403" [ "$(code -H "Authorization: Bearer $TOK_viewer" "$CENTER/api/evidence/$eid")" = 403 ]
check "viewer may not fetch a pack file: 403" [ "$(code -H "Authorization: Bearer $TOK_viewer" "$CENTER/api/evidence/$eid/manifest.json")" = 403 ]
check "no credentials: 401" [ "$(code "$CENTER/api/evidence/$eid")" = 401 ]
node_key=$(curl -s "$NODE_API/api/evidence/$eid" | jq -r .public_key)
has_key() { [ "$(as operator "$CENTER/api/evidence/$eid" | jq -r .node_public_key)" = "$node_key" ]; }
check "the center knows the node's key from its heartbeat" wait_for 10 has_key
check "GET /api/nodes shows the key" [ "$(as viewer "$CENTER/api/nodes" | jq -r ".nodes[] | select(.node == \"n1\") | .evidence_public_key")" = "$node_key" ]
as operator "$CENTER/api/evidence/$eid" >"$T/list.json"
check "the listing names site and node" [ "$(jq -r '.site + "/" + .node' "$T/list.json")" = s1/n1 ]
check "the manifest is signed with the node's key" [ "$(jq -r .key_matches_node "$T/list.json")" = true ]
check "the listing has the clip, the stills and the manifest" bash -c \
  "jq -e '[.files[].path] | (index(\"clip.mp4\") and index(\"still_at.jpg\") and index(\"manifest.json\")) != null' '$T/list.json' >/dev/null"
P=$T/fetched/$eid
mkdir -p "$P"
for f in $(jq -r '.files[].path' "$T/list.json"); do
  c=$(as operator -o "$P/$f" -w '%{http_code}' "$CENTER/api/evidence/$eid/$f")
  [ "$c" = 200 ] || bad "fetch $f through the center: HTTP $c"
done
check "the fetched clip is the node's, byte for byte" cmp -s "$P/clip.mp4" "$T/data/evidence/$eid/clip.mp4"
out=$("$VSP" evidence verify --public-key "$node_key" "$P" 2>&1)
check "the pack fetched through the center verifies with the node's key ($out)" grep -q "intact" <<<"$out"
cp -r "$P" "$T/tampered" && printf 'x' >>"$T/tampered/event.json"
check "a changed file in the fetched pack fails, named" bash -c \
  "'$VSP' evidence verify --public-key '$node_key' '$T/tampered' 2>&1 | grep -q ': event.json: '"
check "a file not in the pack: 404" [ "$(as operator -o /dev/null -w '%{http_code}' "$CENTER/api/evidence/$eid/nope.jpg")" = 404 ]
check "no path tricks: 404" [ "$(as operator -o /dev/null -w '%{http_code}' "$CENTER/api/evidence/$eid/..%2F..%2Fvsp.db")" = 404 ]
check "an unknown event: 404 unknown_event" [ "$(as operator "$CENTER/api/evidence/0190-none" | jq -r .code)" = unknown_event ]

echo "== the center audited every look at the pack"
audit=$(as auditor "$CENTER/api/audit?limit=1000")
has() { jq -e --arg a "$1" --arg r "$2" --arg t "$3" \
  '[.records[] | select(.action == $a and (.result | startswith($r)) and (.target | contains($t)))] | length > 0' <<<"$audit" >/dev/null; }
check "listing audited with site, node and event" has evidence ok "s1/n1 $eid"
check "file fetches audited" has evidence_file ok "s1/n1 $eid/clip.mp4"
check "a missing file audited as failed" has evidence_file "failed (404)" "$eid/nope.jpg"
check "the viewer's attempt audited as denied" has denied denied "/api/evidence/$eid"
out=$("$VSP" audit verify --config "$T/center.yml"); rc=$?
check "the center's audit chain verifies ($out)" [ $rc -eq 0 ]
kill -TERM "$NODE"; wait "$NODE" 2>/dev/null; NODE=
exit $fail
