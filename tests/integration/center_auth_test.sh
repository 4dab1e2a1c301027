#!/usr/bin/env bash
# Accounts and roles on the center, end to end against a real PostgreSQL and NATS on loopback:
# `vsp user add|token create --config CENTER_CONFIG`, the role matrix over every center route
# (401 without credentials, 403 per role), sessions with CSRF, login throttling, and the audit
# of searches and clip fetches (`vsp audit verify`, GET /api/audit).
#   center_auth_test.sh VSP
set -u
. "$(dirname "$0")/lib.sh"
VSP=$1
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
T=$(mktemp -d)
chmod 755 "$T"
BASE=$(free_base 3)
PGPORT=$BASE NPORT=$((BASE + 1)) CPORT=$((BASE + 2))
API=http://127.0.0.1:$CPORT
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$T/pg"
[ "$(id -u)" -eq 0 ] && chown postgres: "$T/pg"
cleanup() {
  for p in ${C:-} ${NATS:-}; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$T/pg/data" -m immediate -w stop >/dev/null 2>&1
  [ "$fail" -ne 0 ] && tail -20 "$T/center.log"
  rm -rf "$T"
}
trap cleanup EXIT
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
start_center() { "$VSP" center "$T/center.yml" >>"$T/center.log" 2>&1 & C=$!; wait_for 30 curl -sf "$API/healthz" -o /dev/null; }
stop_center() { kill -TERM "$C" 2>/dev/null; wait "$C" 2>/dev/null; C=; }

echo "== no users: a loopback center stays open and says how to create the first admin"
start_center || bad "center starts"
check "open center: /api/events 200" [ "$(code "$API/api/events")" = 200 ]
check "log names vsp user add --config" grep -q "vsp user add NAME --role admin --config" "$T/center.log"
stop_center

echo "== accounts and tokens with --config CENTER_CONFIG"
printf 'correct horse battery\n' >"$T/pw"
for r in viewer operator admin auditor; do
  "$VSP" user add "$r-user" --role $r --password-file "$T/pw" --config "$T/center.yml" 2>/dev/null || bad "user add $r"
  eval "TOK_$r=\$(\"$VSP\" token create --role $r --ttl-days 1 --config \"$T/center.yml\" 2>/dev/null)"
done
users_in_pg=$(psql -X -q -t -A -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -c 'SELECT count(*) FROM auth_users')
check "accounts live in the center's PostgreSQL ($users_in_pg users)" [ "$users_in_pg" = 4 ]
check "user list shows 4 users" [ "$("$VSP" user list --config "$T/center.yml" | tail -n +2 | wc -l)" = 4 ]
start_center || bad "center starts with users"

echo "== role matrix: every route but /healthz and the login needs a role"
T0=2020-01-01T00:00:00Z T1=2020-01-01T00:00:10Z
# method route | viewer operator admin auditor (1 = allowed); the list is center::route_table()
while read -r method route v o a u; do
  args=(-X "$method")
  [ "$method" != GET ] && args+=(-H 'Content-Type: application/json')
  check "$method $route without credentials: 401" [ "$(code "${args[@]}" "$API$route")" = 401 ]
  i=0
  for r in viewer operator admin auditor; do
    want=$(echo "$v $o $a $u" | cut -d' ' -f$((i + 1)))
    tok=$(eval echo "\$TOK_$r")
    got=$(code "${args[@]}" -H "Authorization: Bearer $tok" "$API$route")
    if [ "$want" = 1 ]; then
      check "$method $route as $r: allowed ($got)" [ "$got" != 401 ] && [ "$got" != 403 ]
    else
      check "$method $route as $r: 403 ($got)" [ "$got" = 403 ]
    fi
    i=$((i + 1))
  done
done <<ROUTES
GET /metrics 1 1 1 1
GET /api/me 1 1 1 1
GET /api/events 1 1 1 1
GET /api/counts 1 1 1 1
GET /api/nodes 1 1 1 1
GET /api/events/0190-none/snapshot.jpg 1 1 1 1
GET /api/clip?site=s&node=n&camera=c&start=$T0&end=$T1 0 1 1 0
GET /api/audit 0 0 1 1
GET /api/nodes/s/n/cameras/c/rules 0 1 1 0
PUT /api/nodes/s/n/cameras/c/rules 0 1 1 0
GET /api/nodes/s/n/cameras/c/snapshot.jpg 1 1 1 1
GET /api/alerts 1 1 1 1
POST /api/alerts/1/ack 0 1 1 0
POST /api/logout 1 1 1 1
ROUTES
check "/healthz open" [ "$(code "$API/healthz")" = 200 ]
check "unknown path 404" [ "$(code -H "Authorization: Bearer $TOK_admin" "$API/api/nope")" = 404 ]
check "wrong method 405" [ "$(code -X POST -H "Authorization: Bearer $TOK_admin" "$API/api/events")" = 405 ]
check "malformed token 401" [ "$(code -H "Authorization: Bearer vsp_zz" "$API/api/events")" = 401 ]
check "basic auth is not a credential: 401" [ "$(code -u admin-user:x "$API/api/events")" = 401 ]
"$VSP" token revoke "$(echo "$TOK_viewer" | cut -d_ -f2)" --config "$T/center.yml" >/dev/null 2>&1
check "revoked token: 401 at once" [ "$(code -H "Authorization: Bearer $TOK_viewer" "$API/api/events")" = 401 ]

echo "== sessions: cookie login, CSRF on POST, logout"
login() { curl -s -c "$T/jar" -H 'Content-Type: application/json' -d "{\"name\":\"$1\",\"password\":\"$2\"}" "$API/api/login"; }
body=$(login operator-user 'correct horse battery')
check "login answers the role" [ "$(jq -r .role <<<"$body")" = operator ]
check "session cookie is HttpOnly, SameSite=Strict" grep -q "#HttpOnly_127.0.0.1" "$T/jar"
check "session reaches /api/events" [ "$(code -b "$T/jar" "$API/api/events")" = 200 ]
check "session: operator may not read the audit log" [ "$(code -b "$T/jar" "$API/api/audit")" = 403 ]
check "logout without X-CSRF-Token: 403" [ "$(code -b "$T/jar" -X POST "$API/api/logout")" = 403 ]
check "logout with it: 200" [ "$(code -b "$T/jar" -X POST -H "X-CSRF-Token: $(jq -r .csrf <<<"$body")" "$API/api/logout")" = 200 ]
check "session ended: 401" [ "$(code -b "$T/jar" "$API/api/events")" = 401 ]

echo "== brute force: the account locks after 5 failures"
codes=""
for _ in $(seq 8); do
  codes+="$(code -H 'Content-Type: application/json' -d '{"name":"viewer-user","password":"wrong-password"}' "$API/api/login") "
done
check "8 bad passwords: 5 x 401 then 429 ($codes)" [ "$codes" = "401 401 401 401 401 429 429 429 " ]
check "right password while locked: 429" [ "$(code -H 'Content-Type: application/json' -d '{"name":"viewer-user","password":"correct horse battery"}' "$API/api/login")" = 429 ]
check "other accounts unaffected" [ "$(jq -r .role <<<"$(login auditor-user 'correct horse battery')")" = auditor ]

echo "== audit: searches, clip fetches, logins, denials; the chain verifies"
curl -s -H "Authorization: Bearer $TOK_operator" "$API/api/events?type=plate_read&plate=ABC123" -o /dev/null
audit=$(curl -s -H "Authorization: Bearer $TOK_auditor" "$API/api/audit?limit=1000")
has() { jq -e --arg a "$1" --arg r "$2" --arg t "$3" \
  '[.records[] | select(.action == $a and (.result | startswith($r)) and (.target | contains($t)))] | length > 0' <<<"$audit" >/dev/null; }
check "search audited with its query" has search_events ok "plate=ABC123"
check "refused clip fetch audited (query and result)" has clip "failed (404)" "site=s&node=n&camera=c"
check "snapshot fetch audited" has snapshot failed "0190-none"
check "denied request audited" has denied denied "/api/audit"
check "failed and locked logins audited" bash -c "$(declare -f has); audit='$audit'; has login failed viewer-user && has login locked viewer-user"
check "CLI changes audited" has token_revoke ok ""
out=$("$VSP" audit verify --config "$T/center.yml"); rc=$?
check "vsp audit verify --config CENTER_CONFIG: intact ($out)" [ $rc -eq 0 ]
stop_center
exit $fail
