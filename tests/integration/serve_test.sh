#!/usr/bin/env bash
# vsp serve end to end against real peers on loopback: a gst-rtsp-server serving the real clips,
# a refusing port, a peer that sends garbage and one that hangs. Checks recording, events through
# the API, API errors, reconnect after the RTSP server dies for 10 s, kill -9 recovery, SIGTERM,
# and retention by disk quota that keeps exported clips.
#   serve_test.sh VSP RTSP_SERVER GARBAGE_SERVER
set -u
. "$(dirname "$0")/lib.sh"
VSP=$1 RTSP=$2 GARBAGE=$3
DATA=${VSP_DATA_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/data}
T=$(mktemp -d)
BASE=$(free_base 9)
RPORT=$BASE GPORT=$((BASE + 1)) HPORT=$((BASE + 2)) APORT=$((BASE + 3))
API=http://127.0.0.1:$APORT
pids=()
cleanup() {
  for p in "${pids[@]}" ${NODE:-} ${RTSP_PID:-}; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
state() { curl -s "$API/api/cameras" | jq -r --arg c "$1" '.cameras[] | select(.name == $c) | .state'; }
is_state() { [ "$(state "$1")" = "$2" ]; }
count_events() { curl -s "$API/api/events?camera=$1&type=$2&limit=1000" | jq '.events | length'; }
has_events() { [ "$(count_events "$1" "$2")" -ge 1 ]; }
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# A parked car made from a real plate photo, for plate reading through the node.
ffmpeg -nostdin -loglevel error -y -loop 1 -i "$DATA/plates_openalpr_endtoend/br/AYO9034.jpg" -t 20 -r 10 \
  -vf scale=1280:720,format=yuv420p -c:v libx264 -preset veryfast -g 20 "$T/parked.mp4"
start_rtsp() {
  "$RTSP" "$RPORT" car="$DATA/videos_traffic/car-detection.mp4" people="$DATA/videos_people/one-by-one-person-detection.mp4" \
    parked="$T/parked.mp4" \
    >"$T/rtsp.log" 2>&1 &
  RTSP_PID=$!
  sleep 1
}
start_node() {
  "$VSP" serve "$1" >>"$T/node.log" 2>&1 &
  NODE=$!
  wait_for 20 curl -sf "$API/healthz" -o /dev/null
}

start_rtsp
"$GARBAGE" "$GPORT" garbage & pids+=($!)
"$GARBAGE" "$HPORT" hang & pids+=($!)
cat >"$T/serve.yml" <<YAML
detector: {model: nanodet_m_320}
cameras:
  - name: car
    record_url: rtsp://127.0.0.1:$RPORT/car
    detect_fps: 5
    tracker: {high_score: 0.3, new_track_score: 0.35}   # the car park's weak detections (docs/tracking.md)
    rules:
      lines:
        - {name: mid, p1: [0.05, 0.5], p2: [0.95, 0.5]}
      zones:
        - {name: aisle, polygon: [[0.05, 0.05], [0.95, 0.05], [0.95, 0.95], [0.05, 0.95]]}
  - name: people
    record_url: rtsp://127.0.0.1:$RPORT/people
    detect_fps: 5
    detector: {classes: [person]}
  - name: gate
    record_url: rtsp://127.0.0.1:$RPORT/parked
    detect_fps: 5
    detector: {classes: [car, bus, truck, motorcycle]}
    anpr: {region: br}
  - {name: mjpeg, record_url: "http://127.0.0.1:$APORT/api/cameras/car/live.mjpeg", detect_fps: 5}
  - {name: refused, record_url: "rtsp://127.0.0.1:1/none"}
  - {name: garbage, record_url: "rtsp://127.0.0.1:$GPORT/x"}
  - {name: hang, record_url: "rtsp://127.0.0.1:$HPORT/x"}
storage: {path: $T/data, segment_s: 2}
api: {listen: 127.0.0.1:$APORT}
YAML

echo "== malformed config"
printf 'cameras:\n  - name: a b\n    record_url: rtsp://x\n    colour: red\napi: {listen: 0.0.0.0:80}\n' >"$T/bad.yml"
out=$("$VSP" serve "$T/bad.yml" 2>&1); rc=$?
check "bad config exits 1" [ "$rc" -eq 1 ]
check "bad config: camera name error with line" grep -q "bad.yml:2: cameras\[0\].name: 'a b' is not a valid name" <<<"$out"
check "bad config: unknown key" grep -q "bad.yml:4: cameras\[0\].colour: unknown key" <<<"$out"
check "bad config: non-loopback listen refused" grep -q "is not loopback" <<<"$out"

echo "== start"
start_node "$T/serve.yml" || bad "node did not come up: $(tail -5 "$T/node.log")"
T0=$(date +%s)
check "car streams" wait_for 20 is_state car streaming
check "people streams" wait_for 20 is_state people streaming
check "refused camera is not streaming and says why" bash -c "[ \"\$(curl -s $API/api/cameras | jq -r '.cameras[] | select(.name==\"refused\") | .last_error' | grep -c refused)\" -ge 1 ]"
check "garbage camera is not streaming" bash -c "! [ \"\$(curl -s $API/api/cameras | jq -r '.cameras[] | select(.name==\"garbage\") | .state')\" = streaming ]"
check "line crossing event arrives through the API" wait_for 40 has_events car line_crossing
ev=$(curl -s "$API/api/events?camera=car&type=line_crossing&limit=1" | jq -c '.events[0]')
check "event has the contract's fields" jq -e '.type=="line_crossing" and .rule=="mid" and (.direction=="in" or .direction=="out") and .track_id>0 and (.ts_utc|test("Z$")) and (.class|length>0)' <<<"$ev" >/dev/null
check "plate read through the node: AYO9034" wait_for 40 bash -c "curl -s '$API/api/events?camera=gate&type=plate_read' | jq -e '[.events[] | select(.text==\"AYO9034\" and .region==\"br\" and (.snapshot_ref|length>0))] | length >= 1' >/dev/null"
check "plate snapshot crop stored" bash -c "ls $T/data/snapshots/gate/*.jpg >/dev/null"
sleep 2
hang_state=$(state hang)
check "hanging camera is not streaming ($hang_state) and others still are" bash -c "[ '$hang_state' != streaming ] && [ \"\$(curl -s $API/api/cameras | jq '[.cameras[] | select(.fps_in > 0)] | length')\" -ge 2 ]"

check "HTTP MJPEG camera (this node's own live view) streams and is analysed" wait_for 30 bash -c "curl -s $API/api/cameras | jq -e '.cameras[] | select(.name==\"mjpeg\") | .state==\"streaming\" and .frames_analysed > 0' >/dev/null"
check "HTTP MJPEG camera records playable segments" wait_for 20 bash -c "p=\$(curl -s '$API/api/recordings?camera=mjpeg' | jq -r '.recordings[0].path // empty'); [ -n \"\$p\" ] && ffprobe -v error -show_entries stream=codec_name -of csv=p=0 $T/data/\$p | grep -q mjpeg"

echo "== recording"
ELAPSED=$(( $(date +%s) - T0 ))
recs=$(curl -s "$API/api/recordings?camera=people")
n=$(jq '.recordings | length' <<<"$recs")
dur=$(jq '[.recordings[].duration_s] | add // 0' <<<"$recs")
check "people: $n segments, ${dur}s recorded of ~${ELAPSED}s streamed" awk -v d="$dur" -v e="$ELAPSED" 'BEGIN { exit !(d >= 0.7 * (e - 6)) }'
playable=1
for p in $(jq -r '.recordings[].path' <<<"$recs"); do
  d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$T/data/$p" 2>/dev/null)
  [ -n "$d" ] || { playable=0; echo "unplayable: $p"; }
done
check "every indexed segment plays" [ "$playable" -eq 1 ]
check "paths follow recordings/<camera>/<date>/<hour>/<MM.SS>.ts" bash -c "jq -r '.recordings[0].path' <<<'$recs' | grep -Eq '^recordings/people/[0-9]{4}-[0-9]{2}-[0-9]{2}/[0-9]{2}/[0-9]{2}\.[0-9]{2}(-[0-9]+)?\.ts$'"

echo "== API"
S=$(jq -r '.recordings[0].start' <<<"$recs"); E=$(jq -r '.recordings[1].end' <<<"$recs")
check "clip export is an MP4 that plays" bash -c "curl -sf -o $T/clip.mp4 '$API/api/clip?camera=people&start=$S&end=$E' && ffprobe -v error -show_entries format=duration -of csv=p=0 $T/clip.mp4 | grep -q ."
check "unknown camera -> 404 unknown_camera" bash -c "[ \"\$(curl -s '$API/api/events?camera=nope' | jq -r .code)\" = unknown_camera ] && [ \$(curl -s -o /dev/null -w '%{http_code}' '$API/api/cameras/nope/snapshot.jpg') = 404 ]"
check "bad time -> 400 bad_time with path" bash -c "curl -s '$API/api/events?since=yesterday' | jq -e '.code==\"bad_time\" and .path==\"since\"' >/dev/null"
check "since after until -> 400" [ "$(status_of "$API/api/events?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z")" = 400 ]
check "clip end before start -> 400" [ "$(status_of "$API/api/clip?camera=car&start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z")" = 400 ]
check "limit over 1000 -> 400" [ "$(status_of "$API/api/events?limit=5000")" = 400 ]
check "order=sideways -> 400" [ "$(status_of "$API/api/events?order=sideways")" = 400 ]
newest_asc=$(curl -s "$API/api/events?limit=1000" | jq -r '[.events[].ts_utc] | max')
newest_desc=$(curl -s "$API/api/events?order=desc&limit=1" | jq -r '.events[0].ts_utc')
check "order=desc: the newest event first ($newest_desc)" bash -c "[[ ! '$newest_desc' < '$newest_asc' ]]"
check "unknown endpoint -> 404 JSON" bash -c "curl -s '$API/api/nothing' | jq -e '.code==\"not_found\"' >/dev/null"
check "POST -> 405" [ "$(status_of -X POST "$API/api/cameras")" = 405 ]
check "counts per minute" bash -c "curl -s '$API/api/counts?camera=car&bucket=1m' | jq -e '[.series[] | select(.rule==\"mid\")] | length == 1' >/dev/null"
wait_for 30 bash -c "[ \$(curl -s '$API/api/events' | jq '.events | length') -ge 2 ]"
check "pagination with next_cursor" bash -c "c=\$(curl -s '$API/api/events?limit=1' | jq -r .next_cursor); [ -n \"\$c\" ] && [ \"\$c\" != null ] && curl -s \"$API/api/events?limit=1&cursor=\$c\" | jq -e '.events|length==1' >/dev/null"
check "snapshot is a JPEG" bash -c "curl -s '$API/api/cameras/car/snapshot.jpg' | head -c 3 | od -An -tx1 | grep -q 'ff d8 ff'"
check "live view is multipart MJPEG" bash -c "curl -s --max-time 3 '$API/api/cameras/car/live.mjpeg' | head -c 2000 | grep -aq -- '--vspframe'"
check "metrics in Prometheus format" bash -c "curl -s '$API/metrics' | grep -q '^vsp_packets_recorded_total{camera=\"car\"} [1-9]'"
check "metrics: detector latency histogram" bash -c "curl -s '$API/metrics' | grep -q '^vsp_detector_latency_seconds_bucket{model=\"nanodet_m_320\",le=\"+Inf\"} [1-9]'"
check "metrics: event delay histogram" bash -c "curl -s '$API/metrics' | grep -q '^vsp_event_delay_seconds_count{camera=\"car\"} [1-9]'"
check "metrics: segment write histogram" bash -c "curl -s '$API/metrics' | grep -q '^vsp_segment_write_seconds_count{camera=\"car\"} [1-9]'"
check "web UI at /" bash -c "curl -s '$API/' | grep -q 'src=\"/assets/app.js\"' && curl -sf '$API/assets/app.js' -o /dev/null"

echo "== RTSP server down for 10 s"
kill -9 "$RTSP_PID"; wait "$RTSP_PID" 2>/dev/null
check "car notices and reconnects" wait_for 15 is_state car reconnecting
sleep 10
before=$(curl -s "$API/api/recordings?camera=people" | jq '.recordings | length')
start_rtsp
check "car streams again by itself" wait_for 40 is_state car streaming
check "people records again" wait_for 30 bash -c "[ \$(curl -s '$API/api/recordings?camera=people' | jq '.recordings | length') -gt $before ]"

echo "== kill -9 mid-recording"
files_before=$(find "$T/data/recordings" \( -name '*.ts' -o -name '*.mkv' \) | wc -l)
recording_cameras=4  # car, people, gate, mjpeg: each may lose its open segment
kill -9 "$NODE"; wait "$NODE" 2>/dev/null
start_node "$T/serve.yml" || bad "node did not restart"
rows=$(curl -s "$API/api/recordings" | jq '.recordings | length')
check "store consistent after kill -9: $rows rows for $files_before files (at most the open segment per camera lost)" [ "$rows" -ge $((files_before - recording_cameras)) ]
missing=0
for p in $(curl -s "$API/api/recordings" | jq -r '.recordings[].path'); do [ -f "$T/data/$p" ] || missing=$((missing + 1)); done
check "every row has its file" [ "$missing" -eq 0 ]
grep -q "recovered segment\|dropped unreadable segment" "$T/node.log" && ok "open segment recovered or dropped (log says which)"

echo "== SIGTERM"
kill -TERM "$NODE"
t=0; while kill -0 "$NODE" 2>/dev/null && [ $t -lt 10 ]; do sleep 1; t=$((t + 1)); done
wait "$NODE"; rc=$?
check "SIGTERM: exit $rc within ${t}s (want 0 within 5 s)" bash -c "[ $rc -eq 0 ] && [ $t -le 5 ]"
NODE=

echo "== disk quota keeps exports"
cat >"$T/quota.yml" <<YAML
detector: {model: nanodet_m_320}
cameras:
  - {name: car, record_url: "rtsp://127.0.0.1:$RPORT/car", detect_fps: 1}
storage: {path: $T/quota, segment_s: 2, retention: {max_disk_gb: 0.0015}}
api: {listen: 127.0.0.1:$APORT}
YAML
start_node "$T/quota.yml" || bad "quota node did not start"
wait_for 30 bash -c "[ \$(curl -s '$API/api/recordings' | jq '.recordings | length') -ge 2 ]"
r0=$(curl -s "$API/api/recordings" | jq -c '.recordings[0]')
S=$(jq -r .start <<<"$r0"); E=$(jq -r .end <<<"$r0")
curl -sf -o "$T/export.mp4" "$API/api/clip?camera=car&start=$S&end=$E" || bad "export failed"
sleep 25
after=$(curl -s "$API/api/recordings")
check "quota: usage kept near 1.5 MB ($(jq '[.recordings[].bytes] | add' <<<"$after") bytes)" bash -c "[ \$(jq '[.recordings[].bytes] | add' <<<'$after') -le 2500000 ]"
check "quota: exported range's segment kept" bash -c "jq -e --arg s '$S' '[.recordings[] | select(.start == \$s)] | length == 1' <<<'$after' >/dev/null"
check "quota: exported clip file kept" bash -c "ls $T/quota/exports/*.mp4 >/dev/null"
check "quota: older non-kept segments deleted" bash -c "curl -s '$API/metrics' | grep -q '^vsp_retention_segments_deleted_total [1-9]'"
kill -TERM "$NODE"; wait "$NODE"; NODE=
[ $fail -eq 0 ] || { echo "--- node log (tail)"; tail -30 "$T/node.log"; }
exit $fail
