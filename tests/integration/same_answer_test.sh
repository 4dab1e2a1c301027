#!/usr/bin/env bash
# Same frames, same answer: the car clip analysed by `vsp analyze` and streamed through `vsp serve`
# (as a file camera, same detector, detect_fps and frame size, gate open) must give the same
# crossings and zone events (ids and wall-clock times aside). Then stopping the node while a stay
# is open must store its pending zone_exit.
#   same_answer_test.sh VSP
set -u
VSP=$1
DATA=${VSP_DATA_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/data}
CLIP=$DATA/videos_traffic/car-detection.mp4
T=$(mktemp -d)
APORT=$((20000 + RANDOM % 20000))
API=http://127.0.0.1:$APORT
cleanup() {
  [ -n "${NODE:-}" ] && kill -9 "$NODE" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
# The rules' decisions, one per line, ordered: type rule direction pts (ms) dwell (ms).
decisions() { jq -r '[.type, .rule, (.direction // "-"), ((.pts_s * 1000) | round), (((.dwell_s // 0) * 1000) | round)] | @tsv'; }

RULES='    detect_fps: 5
    rules:
      lines:
        - {name: mid, p1: [0.05, 0.5], p2: [0.95, 0.5]}
      zones:
        - {name: aisle, polygon: [[0.05, 0.05], [0.95, 0.05], [0.95, 0.95], [0.05, 0.95]]}'
printf 'detector: {model: nanodet_m_320}\n%s\n' "$(echo "$RULES" | sed 's/^    //')" >"$T/analyze.yml"
cat >"$T/serve.yml" <<YAML
detector: {model: nanodet_m_320}
cameras:
  - name: car
    record_url: $CLIP
    record: false
    detect_width: 768
    motion: {enabled: false}
$RULES
storage: {path: $T/data}
api: {listen: 127.0.0.1:$APORT}
YAML

echo "== vsp analyze"
"$VSP" analyze "$CLIP" -c "$T/analyze.yml" -o "$T/out" -q || bad "analyze failed"
decisions <"$T/out/events.jsonl" >"$T/analyze.tsv"
n=$(wc -l <"$T/analyze.tsv")
[ "$n" -ge 6 ] && ok "analyze: $n events" || bad "analyze: only $n events"

echo "== vsp serve, the same clip as a file camera (plays in real time, loops)"
"$VSP" serve "$T/serve.yml" >"$T/node.log" 2>&1 &
NODE=$!
# Loop 1 ends after ~30 s; its events are stored once the second loop restarts the stream.
events_json() { curl -s "$API/api/events?camera=car&limit=1000"; }
restarted() { [ "$(curl -s "$API/api/cameras" | jq '.cameras[0].restarts // 0')" -ge 1 ]; }
for _ in $(seq 60); do restarted && break; sleep 1; done
restarted && ok "the file looped (stream restart)" || bad "no restart after 60 s"
sleep 3
# Loop 1 = the events anchored at the first connection (ts_utc - pts is one value per connection).
events_json | jq -c '.events[] | . + {origin: ((.ts_utc | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) - .pts_s | floor)}' \
  >"$T/serve_all.jsonl"
first=$(jq -s 'map(.origin) | min' "$T/serve_all.jsonl")
jq -c --argjson o "$first" 'select(.origin - $o | fabs <= 2)' "$T/serve_all.jsonl" | decisions | sort -s -k4,4n >"$T/serve.tsv"
dropped=$(curl -s "$API/api/cameras" | jq '.cameras[0].analysis_packets_dropped')
[ "$dropped" = 0 ] || echo "note: the node dropped $dropped packets under load (frames differ)"
if diff <(sort -s -k4,4n "$T/analyze.tsv") "$T/serve.tsv" >"$T/diff.txt"; then
  ok "serve gives the same $(wc -l <"$T/serve.tsv") decisions as analyze"
else
  bad "serve and analyze differ (< analyze, > serve):"
  cat "$T/diff.txt"
fi

echo "== stopping mid-stay stores the pending exit"
open_stays() { events_json | jq --argjson o "$first" '[.events[] | select(((.ts_utc | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) - .pts_s | floor) - $o > 2)] as $e
  | ([$e[] | select(.type == "zone_enter") | .track_id] - [$e[] | select(.type == "zone_exit") | .track_id]) | length'; }
for _ in $(seq 40); do [ "$(open_stays)" -ge 1 ] && break; sleep 0.5; done
before=$(open_stays)
kill -TERM "$NODE"
wait "$NODE"
rc=$?
NODE=
[ "$rc" -eq 0 ] && ok "SIGTERM: clean exit" || bad "SIGTERM: exit $rc"
if [ "$before" -ge 1 ]; then
  exits=$(sqlite3 "$T/data/vsp.db" "select count(*) from events where type = 'zone_exit'")
  enters=$(sqlite3 "$T/data/vsp.db" "select count(*) from events where type = 'zone_enter'")
  [ "$exits" -eq "$enters" ] && ok "$before open stay(s) at stop: every zone_enter has its zone_exit ($enters/$exits)" \
    || bad "after stop: $enters zone_enter vs $exits zone_exit"
else
  bad "no open stay seen in loop 2 to stop in"
fi
grep -q "stream restarts (new connection)" "$T/node.log" && ok "the restart is logged with its reason" || bad "restart not logged"
exit $fail
