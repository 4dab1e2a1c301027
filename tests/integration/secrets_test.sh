#!/usr/bin/env bash
# NATS and PostgreSQL credentials and TLS from config, with real servers on loopback: a NATS
# server that requires TLS and a user/password, a PostgreSQL that requires a password (scram).
# The center logs in to both (passwords from a file and the environment), a node's uplink reaches
# the center over TLS (its heartbeat shows in the center's /api/nodes), and no password appears in
# any log, `vsp config check` output or /api answer. Wrong or missing credentials fail cleanly.
#   secrets_test.sh VSP
set -u
. "$(dirname "$0")/lib.sh"
VSP=$1
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
T=$(mktemp -d)
chmod 755 "$T"
BASE=$(free_base 4)
PGPORT=$BASE NPORT=$((BASE + 1)) CPORT=$((BASE + 2)) APORT=$((BASE + 3))
NATS_PW=nats-pw-$RANDOM$RANDOM PG_PW=pg-pw-$RANDOM$RANDOM
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$T/pg"
[ "$(id -u)" -eq 0 ] && chown postgres: "$T/pg"
cleanup() {
  for p in ${C:-} ${NODE:-} ${NATS:-}; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -m immediate -w stop >/dev/null 2>&1
  [ "$fail" -ne 0 ] && for f in "$T"/*.log; do echo "---- $f"; tail -15 "$f"; done
  rm -rf "$T"
}
trap cleanup EXIT

# ---- A CA and a server certificate for 127.0.0.1 -------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 1 -subj /CN=vsp-test-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$T/server.key" -out "$T/server.csr" -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/san.ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -out "$T/server.pem" \
  -days 1 -extfile "$T/san.ext" 2>/dev/null
# ---- NATS: TLS required, one user ----------------------------------------------------------------
cat >"$T/nats.conf" <<CONF
listen: 127.0.0.1:$NPORT
jetstream { store_dir: "$T/js" }
tls { cert_file: "$T/server.pem", key_file: "$T/server.key" }
authorization { user: vsp, password: "$NATS_PW" }
CONF
nats-server -c "$T/nats.conf" >"$T/nats.log" 2>&1 &
NATS=$!
# ---- PostgreSQL: password required (scram-sha-256) -----------------------------------------------
printf '%s\n' "$PG_PW" >"$T/pg/pwfile"
chmod 644 "$T/pg/pwfile"
as_pg "$PGBIN/initdb" -D "$T/pg/data" -A scram-sha-256 --pwfile="$T/pg/pwfile" -U postgres --no-sync -E UTF8 \
  >"$T/initdb.log" 2>&1 || { bad "initdb"; exit 1; }
as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -l "$T/pg/log" -w \
  -o "-p $PGPORT -k $T/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null || { bad "pg_ctl start"; exit 1; }

printf '%s\n' "$NATS_PW" >"$T/nats.pw"
center_cfg() {  # center_cfg NATS_PASSWORD_FILE
  cat <<YAML
nats:
  servers: [tls://127.0.0.1:$NPORT]
  user: vsp
  password_file: $1
  tls: {ca: $T/ca.pem}
postgres: {dsn: "host=127.0.0.1 port=$PGPORT user=postgres dbname=postgres connect_timeout=3", password_env: VSP_TEST_PG_PW}
api: {listen: 127.0.0.1:$CPORT}
YAML
}
center_cfg "$T/nats.pw" >"$T/center.yml"

echo "== center: PostgreSQL password from the environment, NATS user/password from a file, over TLS"
out=$(env -u VSP_TEST_PG_PW "$VSP" center "$T/center.yml" 2>&1); rc=$?
check "unset password variable: refused at start (exit $rc)" [ $rc -ne 0 ]
check "the error names the variable" grep -q "postgres.password_env: the environment variable VSP_TEST_PG_PW is not set" <<<"$out"
out=$(VSP_TEST_PG_PW=wrong-password timeout 20 "$VSP" center "$T/center.yml" 2>&1); rc=$?
check "wrong PostgreSQL password: refused at start (exit $rc)" [ $rc -eq 1 ]
check "the error is libpq's authentication failure" grep -q "password authentication failed" <<<"$out"
VSP_TEST_PG_PW=$PG_PW "$VSP" center "$T/center.yml" >"$T/center.log" 2>&1 &
C=$!
consuming() { grep -q "consuming vsp.events" "$T/center.log"; }
check "center connects to NATS over TLS with its user" wait_for 30 consuming

echo "== node: uplink over TLS with a password from the environment"
cat >"$T/node.yml" <<YAML
detector: {model: nanodet_m_320}
site: north
node: n1
cameras:
  - {name: cam, record_url: $DATA/videos_people/one-by-one-person-detection.mp4, detect_fps: 1, record: false}
storage: {path: $T/data}
api: {listen: 127.0.0.1:$APORT}
uplink:
  nats: {servers: [tls://127.0.0.1:$NPORT], user: vsp, password_env: VSP_TEST_NATS_PW, tls: {ca: $T/ca.pem}}
  heartbeat_s: 1
YAML
VSP_TEST_NATS_PW=$NATS_PW "$VSP" serve "$T/node.yml" >"$T/node.log" 2>&1 &
NODE=$!
node_seen() { curl -s "http://127.0.0.1:$CPORT/api/nodes" | jq -e '.nodes[] | select(.site == "north" and .node == "n1")' >/dev/null; }
check "the node's heartbeat reaches the center (both logged in over TLS)" wait_for 40 node_seen
check "node /api/node: uplink connected" [ "$(curl -s "http://127.0.0.1:$APORT/api/node" | jq -r .uplink.connected)" = true ]
curl -s "http://127.0.0.1:$APORT/api/node" >"$T/api-node.json"
curl -s "http://127.0.0.1:$APORT/api/cameras" >"$T/api-cameras.json"
curl -s "http://127.0.0.1:$CPORT/api/nodes" >"$T/api-nodes.json"
"$VSP" config check "$T/node.yml" >"$T/check-node.log" 2>&1
"$VSP" config check "$T/center.yml" >"$T/check-center.log" 2>&1
kill -TERM $NODE; wait $NODE 2>/dev/null; NODE=

echo "== wrong NATS credentials fail cleanly"
printf 'not-the-password\n' >"$T/wrong.pw"
sed "s|uplink:|uplink:|; s|password_env: VSP_TEST_NATS_PW|password_file: $T/wrong.pw|" "$T/node.yml" >"$T/node-wrong.yml"
"$VSP" serve "$T/node-wrong.yml" >"$T/node-wrong.log" 2>&1 &
NODE=$!
refused() { curl -s "http://127.0.0.1:$APORT/api/node" | jq -r .uplink.last_error | grep -qi "authenticat\|authoriz"; }
check "node: a wrong password is an authentication error in /api/node" wait_for 30 refused
check "node: not connected" [ "$(curl -s "http://127.0.0.1:$APORT/api/node" | jq -r .uplink.connected)" = false ]
kill -TERM $NODE; wait $NODE 2>/dev/null; NODE=
plain=$(sed "s|tls://|nats://|; s|, tls: {ca: $T/ca.pem}||" "$T/node.yml")
printf '%s\n' "$plain" >"$T/node-plain.yml"
VSP_TEST_NATS_PW=$NATS_PW "$VSP" serve "$T/node-plain.yml" >"$T/node-plain.log" 2>&1 &
NODE=$!
plain_refused() { [ "$(curl -s "http://127.0.0.1:$APORT/api/node" | jq -r .uplink.last_error)" != "" ]; }
check "node without TLS to a TLS-only server: not connected, says why" wait_for 30 plain_refused
kill -TERM $NODE; wait $NODE 2>/dev/null; NODE=
kill -TERM $C; wait $C 2>/dev/null; C=

echo "== no password in logs, config checks or API answers"
for f in "$T"/center.log "$T"/node*.log "$T"/check-*.log "$T"/api-*.json; do
  check "$(basename "$f"): no NATS or PostgreSQL password" bash -c "! grep -q -e '$NATS_PW' -e '$PG_PW' '$f'"
done
exit $fail
