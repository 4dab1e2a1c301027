#!/usr/bin/env bash
# The center's accounts and audit log in PostgreSQL, end to end against a real PostgreSQL 15 on
# loopback: two `vsp center` processes on one database share accounts, tokens and sessions, and
# append to one hash chain from concurrent requests (and the CLI) without forking it; GET
# /api/audit reads PostgreSQL (auditor/admin only). Then rows are tampered with through psql
# (edited, deleted, swapped, a correctly hashed record inserted, the last record cut or rewritten)
# and `vsp audit verify --config CENTER_CONFIG` must name the first bad record of each; the
# untouched chain verifies. PG_AUTH_STORE_TEST (tests/integration/pg_auth_store_test.cpp) runs the
# store itself on a second database: threads appending on two pools, retention, shared sessions.
#   center_audit_test.sh VSP [PG_AUTH_STORE_TEST]
set -u
. "$(dirname "$0")/lib.sh"
VSP=$1 STORE_TEST=${2:-}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
T=$(mktemp -d)
chmod 755 "$T"
BASE=$(free_base 4)
PGPORT=$BASE NPORT=$((BASE + 1)) C1PORT=$((BASE + 2)) C2PORT=$((BASE + 3))
API1=http://127.0.0.1:$C1PORT API2=http://127.0.0.1:$C2PORT
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -c "$1"; }
mkdir -p "$T/pg"
[ "$(id -u)" -eq 0 ] && chown postgres: "$T/pg"
cleanup() {
  for p in ${C1:-} ${C2:-}; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -m immediate -w stop >/dev/null 2>&1
  [ "$fail" -ne 0 ] && tail -20 "$T"/center*.log
  rm -rf "$T"
}
trap cleanup EXIT
as_pg "$PGBIN/initdb" -D "$T/pg/data" -A trust -U postgres --no-sync -E UTF8 >"$T/initdb.log" 2>&1 || { bad "initdb"; exit 1; }
as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -l "$T/pg/log" -w \
  -o "-p $PGPORT -k $T/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null || { bad "pg_ctl start"; exit 1; }
# No nats-server: the centers retry NATS in the background and serve the API meanwhile.
for i in 1 2; do
  port=$((BASE + 1 + i))
  cat >"$T/center$i.yml" <<YAML
nats: {servers: [nats://127.0.0.1:$NPORT]}
postgres: {dsn: "host=127.0.0.1 port=$PGPORT user=postgres dbname=postgres"}
api: {listen: 127.0.0.1:$port}
YAML
done
verify() { "$VSP" audit verify --config "$T/center1.yml" 2>&1; }

echo "== accounts in PostgreSQL, made with --config CENTER_CONFIG, seen by both centers"
printf 'correct horse battery\n' >"$T/pw"
for r in operator auditor viewer; do
  "$VSP" user add "$r-user" --role $r --password-file "$T/pw" --config "$T/center1.yml" 2>/dev/null || bad "user add $r"
done
TOK_op=$("$VSP" token create --role operator --ttl-days 1 --config "$T/center1.yml" 2>/dev/null)
TOK_aud=$("$VSP" token create --role auditor --ttl-days 1 --config "$T/center2.yml" 2>/dev/null)
check "3 users in auth_users" [ "$(sql 'SELECT count(*) FROM auth_users')" = 3 ]
check "user list through the other center's config" [ "$("$VSP" user list --config "$T/center2.yml" | tail -n +2 | wc -l)" = 3 ]
check "passwords stored as argon2id" [ "$(sql "SELECT count(*) FROM auth_users WHERE password_hash LIKE '\$argon2id\$%'")" = 3 ]
check "tokens stored hashed" [ "$(sql "SELECT count(*) FROM auth_tokens WHERE token_sha256 = '$TOK_op'")" = 0 ]
"$VSP" center "$T/center1.yml" >"$T/center1.log" 2>&1 & C1=$!
"$VSP" center "$T/center2.yml" >"$T/center2.log" 2>&1 & C2=$!
wait_for 30 curl -sf "$API1/healthz" -o /dev/null || bad "center 1 starts"
wait_for 30 curl -sf "$API2/healthz" -o /dev/null || bad "center 2 starts"
check "a token made for center 2 works on center 1" [ "$(code -H "Authorization: Bearer $TOK_aud" "$API1/api/audit")" = 200 ]
login=$(curl -s -c "$T/jar" -H 'Content-Type: application/json' -d '{"name":"operator-user","password":"correct horse battery"}' "$API1/api/login")
check "login on center 1" [ "$(jq -r .role <<<"$login")" = operator ]
check "its session works on center 2 (shared sessions)" [ "$(code -b "$T/jar" "$API2/api/events")" = 200 ]
check "no credentials: 401 on both" [ "$(code "$API1/api/audit")$(code "$API2/api/audit")" = 401401 ]
check "operator may not read the audit log: 403" [ "$(code -H "Authorization: Bearer $TOK_op" "$API2/api/audit")" = 403 ]

echo "== concurrent requests on two centers and the CLI: one chain, no fork"
before=$(sql 'SELECT count(*) FROM audit_log')
burst=()
for i in $(seq 1 30); do
  api=$API1
  [ $((i % 2)) -eq 0 ] && api=$API2
  curl -s -o /dev/null -H "Authorization: Bearer $TOK_op" "$api/api/events?camera=cam$i" &
  burst+=($!)
done
for i in 1 2 3; do
  "$VSP" token create --role viewer --label "burst$i" --config "$T/center1.yml" >/dev/null 2>&1 &
  burst+=($!)
done
wait "${burst[@]}"
rows=$(sql 'SELECT count(*) FROM audit_log')
check "the CLI's token creations audited" [ "$(sql "SELECT count(*) FROM audit_log WHERE action = 'token_create' AND address = 'cli'")" = 5 ]
check "searches from both centers audited ($((rows - before)) new rows)" [ "$(sql "SELECT count(*) FROM audit_log WHERE action = 'search_events' AND target LIKE 'camera=cam%'")" = 30 ]
check "seq has no gaps and no duplicates" [ "$(sql 'SELECT max(seq) = count(*) AND count(DISTINCT prev_hash) = count(*) FROM audit_log')" = t ]
check "the head names the last record" [ "$(sql 'SELECT h.seq = (SELECT max(seq) FROM audit_log) AND h.hash = (SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1) FROM audit_head h')" = t ]
out=$(verify); rc=$?
check "the chain verifies while the centers run ($out)" [ $rc -eq 0 ]
audit=$(curl -s -H "Authorization: Bearer $TOK_aud" "$API2/api/audit?limit=1000")
check "GET /api/audit on center 2 lists center 1's records from PostgreSQL" \
  [ "$(jq '[.records[] | select(.action == "search_events" and (.target | startswith("camera=cam")))] | length' <<<"$audit")" = 30 ]
check "GET /api/audit returns every row" [ "$(jq '.records | length' <<<"$audit")" = "$(sql 'SELECT count(*) FROM audit_log')" ]
check "its hashes are the stored ones" [ "$(jq -r '.records[-1].hash' <<<"$audit")" = "$(sql 'SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1')" ]
kill -TERM "$C1" "$C2" 2>/dev/null
wait "$C1" "$C2" 2>/dev/null
C1= C2=

echo "== the log is append-only for the center's own SQL"
refused() { psql -X -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -c "$1" 2>&1 | grep -q 'append-only'; }
check "UPDATE refused by a trigger" refused "UPDATE audit_log SET target = 'x' WHERE seq = 3"
check "DELETE refused by a trigger" refused "DELETE FROM audit_log WHERE seq = 3"
check "TRUNCATE refused by a trigger" refused "TRUNCATE audit_log"
check "the head cannot move back" bash -c "psql -X -q -h 127.0.0.1 -p $PGPORT -U postgres -d postgres -c 'UPDATE audit_head SET seq = seq - 1' 2>&1 | grep -q 'only moves one record on'"
out=$(verify); rc=$?
check "still intact ($out)" [ $rc -eq 0 ]

echo "== tampering as the database owner (triggers bypassed): verify names the first bad record"
N=$(sql 'SELECT max(seq) FROM audit_log')
K=5  # a record in the middle
sql "CREATE TABLE keep_log AS SELECT * FROM audit_log; CREATE TABLE keep_head AS SELECT * FROM audit_head;" >/dev/null
# The chain's hash in SQL (length-prefixed fields, SHA-256): a forger who can compute it.
sql "CREATE FUNCTION lp(t text) RETURNS text LANGUAGE sql AS \$\$ SELECT octet_length(t) || ':' || t || ';' \$\$;
     CREATE FUNCTION rec_hash(a audit_log) RETURNS text LANGUAGE sql AS \$\$ SELECT encode(sha256(convert_to(
       lp(a.seq::text) || lp(a.ts_ms::text) || lp(a.user_name) || lp(a.role) || lp(a.address) || lp(a.action) ||
       lp(a.target) || lp(a.reason) || lp(a.result) || lp(a.prev_hash), 'UTF8')), 'hex') \$\$;" >/dev/null
check "the SQL hash matches the stored hashes (so the forgeries below are well formed)" \
  [ "$(sql 'SELECT bool_and(rec_hash(a) = a.hash) FROM audit_log a')" = t ]
owner() { sql "SET session_replication_role = replica; $1" >/dev/null; }
restore() { owner "DELETE FROM audit_log; INSERT INTO audit_log SELECT * FROM keep_log; DELETE FROM audit_head; INSERT INTO audit_head SELECT * FROM keep_head;"; }
expect_break() {  # NAME SEQ WORDS
  local out rc named=1
  out=$(verify); rc=$?
  [ $rc -eq 1 ] && grep -q "BROKEN at record $2:" <<<"$out" && grep -q -- "$3" <<<"$out" && named=0
  check "$1: exit 1, names record $2 ($out)" [ $named -eq 0 ]
  restore
}
owner "UPDATE audit_log SET target = 'camera=elsewhere' WHERE seq = $K"
expect_break "edited" "$K" "edited"
owner "DELETE FROM audit_log WHERE seq = $K"
expect_break "deleted" "$((K + 1))" "$K..$K deleted"
owner "UPDATE audit_log SET seq = -seq WHERE seq IN ($K, $((K + 1)));
       UPDATE audit_log SET seq = CASE seq WHEN -$K THEN $((K + 1)) ELSE $K END WHERE seq < 0"
expect_break "reordered (records $K and $((K + 1)) swapped)" "$K" "previous-hash mismatch"
owner "UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= $K; UPDATE audit_log SET seq = -seq WHERE seq < 0;
       INSERT INTO audit_log SELECT $K, ts_ms, 'ghost', role, address, 'clip', 'cam1 forged', '', 'ok', hash, ''
         FROM audit_log WHERE seq = $((K - 1));
       UPDATE audit_log a SET hash = rec_hash(a) WHERE seq = $K;"
check "the inserted record is itself well hashed" [ "$(sql "SELECT rec_hash(a) = a.hash FROM audit_log a WHERE seq = $K")" = t ]
expect_break "inserted (a correctly hashed record at $K)" "$((K + 1))" "does not follow"
owner "DELETE FROM audit_log WHERE seq = $N"
expect_break "last record deleted" "$N" "deleted from the end"
owner "UPDATE audit_log a SET target = 'rewritten' WHERE seq = $N; UPDATE audit_log a SET hash = rec_hash(a) WHERE seq = $N"
expect_break "last record rewritten with a fresh hash" "$N" "replaced"
out=$(verify); rc=$?
check "restored, untouched chain verifies ($out)" [ $rc -eq 0 ]
check "... with all $N records" grep -q "intact: $N record" <<<"$out"

echo "== a restarted center continues the same chain"
"$VSP" center "$T/center2.yml" >>"$T/center2.log" 2>&1 & C2=$!
wait_for 30 curl -sf "$API2/healthz" -o /dev/null || bad "center 2 restarts"
check "search after restart" [ "$(code -H "Authorization: Bearer $TOK_op" "$API2/api/events?camera=after")" = 200 ]
check "record $((N + 1)) follows record $N" [ "$(sql "SELECT b.prev_hash = a.hash FROM audit_log a, audit_log b WHERE a.seq = $N AND b.seq = $((N + 1))")" = t ]
out=$(verify); rc=$?
check "verifies after the restart ($out)" [ $rc -eq 0 ]

if [ -n "$STORE_TEST" ]; then
  echo "== PgAuthStore on its own database: two pools, 8 threads, retention"
  sql "CREATE DATABASE store_test" >/dev/null
  VSP_TEST_PG_DSN="host=127.0.0.1 port=$PGPORT user=postgres dbname=store_test" "$STORE_TEST" >"$T/store_test.log" 2>&1
  rc=$?
  [ $rc -ne 0 ] && tail -30 "$T/store_test.log"
  check "pg_auth_store_test: $(grep -E '^\[  (PASSED|FAILED)' "$T/store_test.log" | head -2 | tr '\n' ' ')" [ $rc -eq 0 ]
  check "... and none skipped" bash -c "! grep -q SKIPPED '$T/store_test.log'"
fi
exit $fail
