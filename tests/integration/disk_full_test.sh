#!/usr/bin/env bash
# A node on a disk too small for its quota (issue 16): two file cameras record onto a 12 MiB tmpfs
# with `max_disk_gb: 0.1`. Checks that the free-space reserve keeps the disk from filling, that
# recording goes on with the oldest segments deleted, and that /api/cameras and /metrics say so;
# then the disk filled by another program (events wait in memory, video goes first), then the
# storage folder read-only for 20 s; after each, recovery by itself. At the end every event the
# rules emitted is in the database, the index matches the files, and SIGTERM is clean.
#   disk_full_test.sh VSP
# Needs to mount a tmpfs: as root, else inside an unprivileged user+mount namespace; exits 77
# (skipped) when neither is allowed.
set -u
. "$(dirname "$0")/lib.sh"
VSP=$1
DATA=${VSP_DATA_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/data}

# ---- A small filesystem of our own -----------------------------------------------------------
T=$(mktemp -d)
MNT=$T/disk
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=12m vsp-disk-test "$MNT" 2>/dev/null; then
  rmdir "$MNT"; rm -rf "$T"
  if [ -z "${VSP_DISK_TEST_NS:-}" ] && unshare --user --map-root-user --mount true 2>/dev/null; then
    echo "mount refused: running in an unprivileged user+mount namespace"
    exec env VSP_DISK_TEST_NS=1 unshare --user --map-root-user --mount "$0" "$@"
  fi
  echo "SKIP: cannot mount a tmpfs here (not root, no user namespaces)"
  exit 77
fi
STORE=$MNT/data
mkdir -p "$STORE"
BASE=$(free_base 9)
APORT=$BASE
API=http://127.0.0.1:$APORT
cleanup() {
  [ -n "${NODE:-}" ] && kill -9 "$NODE" 2>/dev/null
  [ -n "${FILLER:-}" ] && kill "$FILLER" 2>/dev/null
  wait 2>/dev/null
  umount -l "$STORE" 2>/dev/null  # the read-only bind, if a failure left it
  umount -l "$MNT" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
cams() { curl -s --max-time 5 "$API/api/cameras"; }
metric() { curl -s --max-time 5 "$API/metrics" | awk -v m="$1" '$1 == m { print $2; f = 1 } END { if (!f) print "missing" }'; }
metric_sum() { curl -s --max-time 5 "$API/metrics" | awk -v m="$1" 'index($1, m "{") == 1 { s += $2 } END { print s + 0 }'; }
free_bytes() { df -B1 --output=avail "$MNT" | tail -1 | tr -d ' '; }
cam_field() { cams | jq -r --arg c "$1" ".cameras[] | select(.name == \$c) | .$2"; }
recording_is() { [ "$(cam_field car recording)" = "$1" ] && [ "$(cam_field people recording)" = "$1" ]; }
rows() {  # events in the store, through the API (paged)
  local n=0 c="" page
  while :; do
    page=$(curl -s --max-time 5 "$API/api/events?limit=1000${c:+&cursor=$c}")
    n=$((n + $(jq '.events | length' <<<"$page")))
    c=$(jq -r '.next_cursor // empty' <<<"$page")
    [ -n "$c" ] || break
  done
  echo "$n"
}
recorded() { echo $(( $(cam_field car packets_recorded) + $(cam_field people packets_recorded) )); }

cat >"$T/serve.yml" <<YAML
detector: {model: nanodet_m_320}
cameras:
  - name: car
    record_url: $DATA/videos_traffic/car-detection.mp4
    detect_fps: 3
    rules:
      lines:
        - {name: mid, p1: [0.05, 0.5], p2: [0.95, 0.5]}
      zones:
        - {name: road, polygon: [[0.05, 0.05], [0.95, 0.05], [0.95, 0.95], [0.05, 0.95]]}
  - name: people
    record_url: $DATA/videos_people/one-by-one-person-detection.mp4
    detect_fps: 3
    detector: {classes: [person]}
    rules:
      zones:
        - {name: room, polygon: [[0.02, 0.02], [0.98, 0.02], [0.98, 0.98], [0.02, 0.98]]}
storage:
  path: $STORE
  segment_s: 2
  max_pending_events: 5000
  retention: {max_disk_gb: 0.1, min_free_percent: 5, events_max_age_days: 30, snapshots_max_age_days: 7}
api: {listen: 127.0.0.1:$APORT}
YAML

# Snapshots by age: one of 10 days goes, one of 1 day stays.
mkdir -p "$STORE/snapshots/car"
echo old >"$STORE/snapshots/car/old.jpg"; touch -d '10 days ago' "$STORE/snapshots/car/old.jpg"
echo new >"$STORE/snapshots/car/new.jpg"; touch -d '1 day ago' "$STORE/snapshots/car/new.jpg"

echo "== a 12 MiB filesystem, a 100 MB quota, two cameras"
"$VSP" serve "$T/serve.yml" >"$T/node.log" 2>&1 &
NODE=$!
wait_for 30 curl -sf "$API/healthz" -o /dev/null || { bad "node did not come up"; tail -20 "$T/node.log"; exit 1; }
T0=$(date +%s)
first_seg=""
min_free=999999999 full_run=0 max_full_run=0 samples=0
# Two cameras write ~120 kB/s: the 12 MiB fill in about a minute, then retention must hold.
while [ $(( $(date +%s) - T0 )) -lt 100 ]; do
  f=$(free_bytes); samples=$((samples + 1))
  [ "$f" -lt "$min_free" ] && min_free=$f
  if [ "$f" -lt 65536 ]; then full_run=$((full_run + 1)); else full_run=0; fi
  [ "$full_run" -gt "$max_full_run" ] && max_full_run=$full_run
  [ -z "$first_seg" ] && first_seg=$(curl -s "$API/api/recordings?camera=car" | jq -r '.recordings[0].path // empty')
  sleep 2
done
st=$(cams | jq '.storage')
echo "     storage: $(jq -c '{state, filesystem_bytes, free_bytes, reserve_bytes, recordings_bytes, configured_quota_bytes, effective_quota_bytes, quota_limited_by, segments_deleted}' <<<"$st")"
echo "     lowest free space seen: $min_free bytes in $samples samples"
check "the disk never fills (never under 64 KiB free; lowest $min_free B)" [ "$max_full_run" -eq 0 ]
check "free space stays near the reserve (lowest $min_free B >= half of $(jq .reserve_bytes <<<"$st") B)" \
  [ "$min_free" -ge $(( $(jq .reserve_bytes <<<"$st") / 2 )) ]
check "snapshots pruned by age: 10-day-old gone, 1-day-old kept ($(metric vsp_retention_snapshots_pruned_total))" \
  bash -c "[ ! -e '$STORE/snapshots/car/old.jpg' ] && [ -e '$STORE/snapshots/car/new.jpg' ] && [ '$(metric vsp_retention_snapshots_pruned_total)' = 1 ]"
check "retention deleted segments ($(metric vsp_retention_segments_deleted_total))" \
  bash -c "[ '$(metric vsp_retention_segments_deleted_total)' -gt 0 ]"
check "the oldest segments went (first one, $first_seg, is gone)" bash -c "[ -n '$first_seg' ] && [ ! -e '$STORE/$first_seg' ]"
check "/api/cameras: quota limited by the filesystem, below the configured one, reserve > 0" jq -e \
  '.quota_limited_by == "filesystem" and .configured_quota_bytes == 100000000 and .effective_quota_bytes < .configured_quota_bytes and .reserve_bytes > 0 and .filesystem_bytes > 12000000 and .filesystem_bytes <= 12582912' <<<"$st"
check "/metrics: reserve, effective quota and free space" bash -c \
  "[ '$(metric vsp_storage_reserve_bytes)' = '$(jq .reserve_bytes <<<"$st")' ] && [ '$(metric vsp_retention_effective_quota_bytes)' != missing ] && [ '$(metric vsp_storage_free_bytes)' -gt 0 ]"
check "no recording write failed while the reserve held ($(metric_sum vsp_packets_record_failed_total))" \
  [ "$(metric_sum vsp_packets_record_failed_total)" -eq 0 ]
r0=$(recorded); sleep 6; r1=$(recorded)
check "recording goes on ($r0 -> $r1 packets)" [ "$r1" -gt "$r0" ]
check "both cameras record (.recording == ok)" recording_is ok
newest=$(curl -s "$API/api/recordings?camera=car" | jq -r '.recordings[-1].end')
check "newest car segment ends within 15 s ($newest)" \
  bash -c "[ \$(( \$(date +%s) - \$(date -d '$newest' +%s) )) -le 15 ]"

echo "== another program keeps the disk full for 15 s"
# A runaway writer: whatever retention frees, it takes.
(while :; do dd if=/dev/zero of="$MNT/ballast" bs=16k oflag=append conv=notrunc 2>/dev/null; sleep 0.2; done) &
FILLER=$!
sleep 1
echo "     free with the filler running: $(free_bytes) bytes"
check "recording fails and says so (.recording == failing, with the reason)" wait_for 15 bash -c \
  "curl -s $API/api/cameras | jq -e '[.cameras[] | select(.recording == \"failing\" and (.record_error | test(\"space\")))] | length >= 1' >/dev/null"
sleep 10
full_state=$(cams | jq -c '.storage | {state, free_bytes, recordings_bytes, store}')
echo "     storage while full: $full_state"
check "storage state is full or low_space" bash -c "jq -e '.state == \"full\" or .state == \"low_space\"' <<<'$full_state' >/dev/null"
check "retention gave up the video first (recordings $(jq .recordings_bytes <<<"$full_state") B left)" \
  [ "$(jq .recordings_bytes <<<"$full_state")" -lt 1000000 ]
check "failed packets are counted, not recorded ($(metric_sum vsp_packets_record_failed_total))" \
  [ "$(metric_sum vsp_packets_record_failed_total)" -gt 0 ]
check "node answers while the disk is full" curl -sf "$API/healthz" -o /dev/null
kill "$FILLER"; wait "$FILLER" 2>/dev/null
rm -f "$MNT/ballast"
check "recording resumes by itself once there is room" wait_for 20 recording_is ok
check "events that waited are stored (pending 0, dropped 0)" wait_for 15 bash -c \
  "[ \"\$(curl -s $API/metrics | awk '\$1==\"vsp_events_pending\"{print \$2}')\" = 0 ]"

echo "== the storage folder read-only for 20 s"
mount --bind "$STORE" "$STORE" && mount -o remount,bind,ro "$STORE" || bad "cannot make $STORE read-only"
check "recording fails with a clear reason (read-only)" wait_for 15 bash -c \
  "curl -s $API/api/cameras | jq -e '[.cameras[] | select(.recording == \"failing\" and (.record_error | test(\"[Rr]ead-only\")))] | length == 2' >/dev/null"
check "storage state says read_only" wait_for 5 bash -c "[ \"\$(curl -s $API/api/cameras | jq -r .storage.state)\" = read_only ]"
check "/metrics: vsp_recording_failing is 1" bash -c "curl -s $API/metrics | grep -q '^vsp_recording_failing{camera=\"car\"} 1'"
sleep 12
check "node answers while read-only" curl -sf "$API/healthz" -o /dev/null
umount -l "$STORE"
r0=$(recorded)
check "recording resumes by itself" wait_for 20 recording_is ok
check "new segments are indexed again" wait_for 15 bash -c \
  "[ \$(( \$(date +%s) - \$(date -d \"\$(curl -s '$API/api/recordings?camera=people' | jq -r '.recordings[-1].end')\" +%s) )) -le 8 ]"
check "packets recorded again ($r0 -> $(recorded))" bash -c "[ $(recorded) -gt $r0 ]"
check "storage state back to ok or low_space" wait_for 10 bash -c \
  "s=\$(curl -s $API/api/cameras | jq -r .storage.state); [ \"\$s\" = ok ] || [ \"\$s\" = low_space ]"

echo "== the storage folder gone for 10 s (renamed away), then back"
mv "$STORE" "$STORE.away"
check "recording fails: the storage folder is gone" wait_for 10 bash -c \
  "curl -s $API/api/cameras | jq -e '[.cameras[] | select(.recording == \"failing\" and (.record_error | test(\"gone\")))] | length == 2' >/dev/null"
check "storage state says error" wait_for 5 bash -c "[ \"\$(curl -s $API/api/cameras | jq -r .storage.state)\" = error ]"
check "nothing is written where the folder was" [ ! -e "$STORE" ]
sleep 5
[ -e "$STORE" ] && mv "$STORE" "$STORE.recreated"  # keep going with the real folder, after the FAIL above
mv "$STORE.away" "$STORE"
check "recording resumes by itself when it is back" wait_for 20 recording_is ok
check "storage state leaves error" wait_for 10 bash -c "[ \"\$(curl -s $API/api/cameras | jq -r .storage.state)\" != error ]"

echo "== every event emitted is in the store"
same=0
for _ in $(seq 10); do  # a quiet moment: no event between the two counter reads
  e1=$(metric_sum vsp_events_total); n=$(rows); e2=$(metric_sum vsp_events_total)
  if [ "$e1" = "$e2" ] && [ "$n" = "$e1" ]; then same=1; break; fi
  sleep 1
done
check "emitted $e2, stored $n" [ "$same" -eq 1 ]
check "some events were emitted at all ($e2)" [ "$e2" -gt 0 ]
check "no event dropped ($(metric vsp_events_dropped_total)), none pending ($(metric vsp_events_pending))" \
  bash -c "[ '$(metric vsp_events_dropped_total)' = 0 ] && [ '$(metric vsp_events_pending)' = 0 ]"
echo "     store: $(cams | jq -c .storage.store)"
check "the store's counters agree: received = stored ($(metric vsp_events_received_total) = $(metric vsp_events_stored_total))" \
  bash -c "[ '$(metric vsp_events_received_total)' = '$(metric vsp_events_stored_total)' ]"

echo "== SIGTERM, then the index against the files"
kill -TERM "$NODE"
t=0; while kill -0 "$NODE" 2>/dev/null && [ $t -lt 10 ]; do sleep 1; t=$((t + 1)); done
wait "$NODE"; rc=$?
NODE=
check "SIGTERM: exit $rc within ${t}s" bash -c "[ $rc -eq 0 ] && [ $t -le 5 ]"
(cd "$STORE" && find recordings -type f | sort) >"$T/files"
sqlite3 "$STORE/vsp.db" "SELECT path FROM segments ORDER BY path" | sort >"$T/rows"
check "every segment file is indexed (orphans: $(comm -23 "$T/files" "$T/rows" | wc -l))" \
  [ "$(comm -23 "$T/files" "$T/rows" | wc -l)" -eq 0 ]
check "every indexed segment has its file (missing: $(comm -13 "$T/files" "$T/rows" | wc -l))" \
  [ "$(comm -13 "$T/files" "$T/rows" | wc -l)" -eq 0 ]
unplayable=0
while read -r p; do
  d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$STORE/$p" 2>/dev/null)
  [ -n "$d" ] && [ "$d" != N/A ] || { unplayable=$((unplayable + 1)); echo "     unplayable: $p"; }
done <"$T/rows"
check "every indexed segment plays, those cut by the full disk included ($(wc -l <"$T/rows") segments)" [ "$unplayable" -eq 0 ]
check "no half-indexed segment" [ "$(sqlite3 "$STORE/vsp.db" 'SELECT COUNT(*) FROM segments WHERE complete = 0')" -eq 0 ]
check "events in the database after shutdown: $(sqlite3 "$STORE/vsp.db" 'SELECT COUNT(*) FROM events') of $e2" \
  [ "$(sqlite3 "$STORE/vsp.db" 'SELECT COUNT(*) FROM events')" -ge "$e2" ]
check "no 'cannot rollback' in the log" bash -c "! grep -q 'cannot rollback' '$T/node.log'"
nerr=$(grep -c 'write failed\|cannot open\|cannot create' "$T/node.log")
check "write failures logged once per state change ($nerr lines), not per packet or event" [ "$nerr" -le 12 ]
echo "     log lines about storage:"
grep -E 'retention|storage|store|recording|write failed|cannot' "$T/node.log" | head -40 | cut -c1-220 | sed 's/^/       /'
[ $fail -eq 0 ] || { echo "--- node log (tail)"; tail -40 "$T/node.log"; }
exit $fail
