#!/usr/bin/env bash
# Accounts, roles, sessions, tokens, brute-force throttling, TLS and the audit chain, end to end
# against a real node on loopback.   auth_test.sh VSP
set -u
. "$(dirname "$0")/lib.sh"
VSP=$1
DATA=${VSP_DATA_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/data}
T=$(mktemp -d)
PORT=$(free_base 2)
API=http://127.0.0.1:$PORT
trap 'kill -9 ${NODE:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
wait_up() { for _ in $(seq 30); do curl -skf "$1/healthz" -o /dev/null && return 0; sleep 0.5; done; return 1; }
start_node() { "$VSP" serve "$1" >>"$T/node.log" 2>&1 & NODE=$!; wait_up "$2"; }
stop_node() { kill -TERM "$NODE" 2>/dev/null; wait "$NODE" 2>/dev/null; NODE=; }

write_cfg() {  # write_cfg FILE LISTEN [TLS-YAML]
  cat >"$1" <<YAML
detector: {model: nanodet_m_320}
cameras:
  - {name: people, record_url: $DATA/videos_people/one-by-one-person-detection.mp4, detect_fps: 2}
  - {name: locked, record_url: "rtsp://camuser:s3cretpass@127.0.0.1:1/x"}
storage: {path: $T/data}
api: {listen: $2$3}
YAML
}
write_cfg "$T/node.yml" "127.0.0.1:$PORT" ""

echo "== no users: loopback stays open, non-loopback refused"
start_node "$T/node.yml" "$API" || bad "node starts"
check "open node says how to create the first admin" grep -q "vsp user add NAME --role admin" "$T/node.log"
check "no users + loopback: /api/cameras open" [ "$(code "$API/api/cameras")" = 200 ]
stop_node
write_cfg "$T/wide.yml" "0.0.0.0:$PORT" ""
out=$("$VSP" serve "$T/wide.yml" 2>&1); rc=$?
check "non-loopback without TLS refused (exit 1)" [ $rc -eq 1 ]
check "message names api.tls" grep -q "api.tls" <<<"$out"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 -subj /CN=localhost \
  -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
write_cfg "$T/wide.yml" "0.0.0.0:$PORT" ", tls: {cert: $T/cert.pem, key: $T/key.pem}"
out=$(timeout 20 "$VSP" serve "$T/wide.yml" 2>&1); rc=$?
check "non-loopback with TLS but no user refused (exit 1)" [ $rc -eq 1 ]
check "refusal says why" grep -q "without any user" <<<"$out"

echo "== accounts and tokens (CLI, before the node runs)"
printf 'correct horse battery\n' >"$T/pw"
for r in viewer operator admin auditor; do
  "$VSP" user add "$r-user" --role $r --password-file "$T/pw" --config "$T/node.yml" 2>/dev/null || bad "user add $r"
  eval "TOK_$r=\$(\"$VSP\" token create --role $r --ttl-days 1 --config \"$T/node.yml\" 2>/dev/null)"
done
check "user list shows 4 users" [ "$("$VSP" user list --config "$T/node.yml" | tail -n +2 | wc -l)" = 4 ]
check "duplicate user refused" bash -c "! '$VSP' user add admin-user --role admin --password-file '$T/pw' --config '$T/node.yml' 2>/dev/null"
check "short password refused" bash -c "! (echo short | '$VSP' user add x --role viewer --config '$T/node.yml' 2>/dev/null)"
check "bad role is a usage error (2)" bash -c "'$VSP' user add y --role god --config '$T/node.yml' 2>/dev/null; [ \$? = 2 ]"

start_node "$T/node.yml" "$API" || bad "node starts with users"
echo "== role matrix: 401 without credentials, 403 for roles below the route"
# route | viewer operator admin auditor (1 = allowed)
while read -r route v o a u; do
  check "$route: 401 without credentials" [ "$(code "$API$route")" = 401 ]
  i=0
  for r in viewer operator admin auditor; do
    want=$([ "$(echo "$v $o $a $u" | cut -d' ' -f$((i + 1)))" = 1 ] && echo allowed || echo 403)
    eval "tok=\$TOK_$r"
    got=$(code -H "Authorization: Bearer $tok" "$API$route")
    if [ "$want" = 403 ]; then check "$route as $r: 403" [ "$got" = 403 ]
    else check "$route as $r: allowed ($got)" bash -c "[ $got != 401 ] && [ $got != 403 ]"; fi
    i=$((i + 1))
  done
done <<'ROUTES'
/metrics 1 1 1 1
/api/me 1 1 1 1
/api/cameras 1 1 1 1
/api/cameras/people 1 1 1 1
/api/cameras/people/snapshot.jpg 1 1 1 1
/api/cameras/people/heatmap.png 1 1 1 1
/api/events 1 1 1 1
/api/counts 1 1 1 1
/api/node 1 1 1 1
/api/recordings 0 1 1 0
/api/clip?camera=people&start=2020-01-01T00:00:00Z&end=2020-01-01T00:00:10Z 0 1 1 0
/api/audit 0 0 1 1
/api/cameras/people/rules 0 1 1 0
/api/events/0190a0a0-0000-7000-8000-000000000000/snapshot.jpg 0 1 1 0
ROUTES
check "web UI / open (it asks for a login)" [ "$(code "$API/")" = 200 ]
check "web UI script open" [ "$(code "$API/assets/app.js")" = 200 ]
check "unknown asset: 404" [ "$(code "$API/assets/nope.js")" = 404 ]
rules_put() { curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' "$@" -d '{"lines": [{"name": "l", "p1": [0.1, 0.5], "p2": [0.9, 0.5]}]}' "$API/api/cameras/people/rules"; }
check "PUT rules without credentials: 401" [ "$(rules_put)" = 401 ]
for r in viewer auditor; do
  eval "tok=\$TOK_$r"
  check "PUT rules as $r: 403" [ "$(rules_put -H "Authorization: Bearer $tok")" = 403 ]
done
check "PUT rules as operator: 200" [ "$(rules_put -H "Authorization: Bearer $TOK_operator")" = 200 ]
check "PUT rules as admin: 200" [ "$(rules_put -H "Authorization: Bearer $TOK_admin")" = 200 ]
check "PUT rules based on an old version: 409" [ "$(rules_put -H "Authorization: Bearer $TOK_admin" -H 'If-Match: "1"')" = 409 ]
check "PUT rules based on the current version: 200" [ "$(rules_put -H "Authorization: Bearer $TOK_admin" -H 'If-Match: "3"')" = 200 ]
check "PUT invalid rules: 400 naming the field" bash -c "curl -s -X PUT -H 'Authorization: Bearer $TOK_admin' -H 'Content-Type: application/json' -d '{\"lines\": [{\"name\": \"l\", \"p1\": [0.1, 0.5], \"p2\": [0.1, 0.5]}]}' $API/api/cameras/people/rules | jq -e '.code == \"invalid_rules\" and .path == \"cameras[people].rules.lines[0].p2\"' >/dev/null"
check "camera credentials never reach /api" bash -c "curl -s -H 'Authorization: Bearer $TOK_admin' $API/api/cameras | grep -q 'rtsp://\*\*\*@127.0.0.1:1/x' && ! curl -s -H 'Authorization: Bearer $TOK_admin' $API/api/cameras | grep -q s3cretpass"
check "camera credentials never reach the log" bash -c "! grep -q s3cretpass '$T/node.log'"
check "/healthz open" [ "$(code "$API/healthz")" = 200 ]
check "unknown route 404 (not a hint of auth)" [ "$(code -H "Authorization: Bearer $TOK_admin" "$API/api/nope")" = 404 ]
check "garbage bearer token: 401" [ "$(code -H 'Authorization: Bearer vsp_zz_zz' "$API/api/cameras")" = 401 ]
check "malformed cookie: 401" [ "$(code -H 'Cookie: vsp_session=%%%;;;' "$API/api/cameras")" = 401 ]
check "raw snapshot as viewer: 403" [ "$(code -H "Authorization: Bearer $TOK_viewer" "$API/api/cameras/people/snapshot.jpg?raw=1&reason=test+case")" = 403 ]
check "raw snapshot as auditor without reason: 400" [ "$(code -H "Authorization: Bearer $TOK_auditor" "$API/api/cameras/people/snapshot.jpg?raw=1")" = 400 ]
tid=$("$VSP" token list --config "$T/node.yml" | awk '$2 == "viewer" {print $1; exit}')
"$VSP" token revoke "$tid" --config "$T/node.yml" 2>/dev/null
check "revoked token (while the node runs): 401" [ "$(code -H "Authorization: Bearer $TOK_viewer" "$API/api/cameras")" = 401 ]

echo "== login, session cookie, CSRF"
login() { curl -s -c "$T/jar" -o "$T/login.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  -d "{\"name\": \"$1\", \"password\": \"$2\"}" "$API/api/login"; }
check "login ok" [ "$(login operator-user 'correct horse battery')" = 200 ]
check "cookie is HttpOnly and SameSite=Strict" bash -c "curl -s -D - -o /dev/null -H 'Content-Type: application/json' -d '{\"name\":\"operator-user\",\"password\":\"correct horse battery\"}' $API/api/login | grep -i 'set-cookie: vsp_session' | grep -q 'HttpOnly; SameSite=Strict'"
check "session reaches /api/recordings" [ "$(code -b "$T/jar" "$API/api/recordings")" = 200 ]
check "session is not enough for /api/audit (403)" [ "$(code -b "$T/jar" "$API/api/audit")" = 403 ]
check "logout without CSRF header: 403" [ "$(code -b "$T/jar" -X POST "$API/api/logout")" = 403 ]
csrf=$(jq -r .csrf "$T/login.json")
check "logout with CSRF header: 200" [ "$(code -b "$T/jar" -H "X-CSRF-Token: $csrf" -X POST "$API/api/logout")" = 200 ]
check "session ended: 401" [ "$(code -b "$T/jar" "$API/api/recordings")" = 401 ]
check "login as form post refused (415)" [ "$(code -d 'name=a&password=b' "$API/api/login")" = 415 ]
check "oversized body refused (413)" [ "$(head -c 20000 /dev/zero | tr '\0' a | code -H 'Content-Type: application/json' --data-binary @- "$API/api/login")" = 413 ]

echo "== brute force: 20 bad passwords"
codes=""
for i in $(seq 20); do codes="$codes $(login admin-user "wrong password $i")"; done
check "first 5 answered 401" [ "$(echo $codes | cut -d' ' -f1-5)" = "401 401 401 401 401" ]
check "then locked: 429 from the 6th on" [ "$(echo $codes | tr ' ' '\n' | grep -c 429)" -ge 14 ]
check "right password while locked: 429 (documented)" [ "$(login admin-user 'correct horse battery')" = 429 ]
check "Retry-After given" bash -c "curl -s -D - -o /dev/null -H 'Content-Type: application/json' -d '{\"name\":\"admin-user\",\"password\":\"x\"}' $API/api/login | grep -qi '^Retry-After: [0-9]'"
check "other accounts unaffected" [ "$(login viewer-user 'correct horse battery')" = 200 ]
check "disabled user cannot log in" bash -c "'$VSP' user disable auditor-user --config '$T/node.yml' 2>/dev/null; [ \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{\"name\":\"auditor-user\",\"password\":\"correct horse battery\"}' $API/api/login)\" = 401 ]"

echo "== slow and malformed clients"
fds=()
for _ in $(seq 40); do  # slowloris: half a request each, never finished
  exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" && printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n' >&"$fd" && fds+=("$fd")
done
check "40 slow clients: /healthz still answers" [ "$(code -m 5 "$API/healthz")" = 200 ]
check "40 slow clients: an authenticated search still answers" [ "$(code -m 5 -H "Authorization: Bearer $TOK_admin" "$API/api/events")" = 200 ]
sleep 12
closed=0
for fd in "${fds[@]}"; do timeout 1 cat <&"$fd" >/dev/null 2>&1 && closed=$((closed + 1)); exec {fd}>&-; done
check "slow clients cut off after the 10 s request timeout ($closed/40)" [ "$closed" -eq 40 ]
check "path traversal: 404" [ "$(code --path-as-is -H "Authorization: Bearer $TOK_admin" "$API/api/cameras/../../etc/passwd")" = 404 ]
check "huge header: clean 4xx" bash -c "c=\$(curl -s -o /dev/null -w '%{http_code}' -H \"X-Big: \$(head -c 70000 /dev/zero | tr '\\0' a)\" $API/healthz); [ \$c -ge 400 ] && [ \$c -lt 500 ] || [ \$c = 000 ]"
check "node alive after all that" [ "$(code "$API/healthz")" = 200 ]

echo "== audit log"
curl -s -H "Authorization: Bearer $TOK_admin" "$API/api/audit?limit=1000" >"$T/audit.json"
for a in user_add token_create login search_events snapshot clip token_revoke unmask set_rules; do
  check "audit has $a" bash -c "jq -e '.records[] | select(.action == \"$a\")' '$T/audit.json' >/dev/null"
done
check "failed logins are audited" bash -c "jq -e '[.records[] | select(.action == \"login\" and .result == \"failed\")] | length >= 5' '$T/audit.json' >/dev/null"
stop_node
check "untouched log verifies (exit 0)" "$VSP" audit verify --config "$T/node.yml"
n=$(sqlite3 "$T/data/vsp.db" 'SELECT count(*) FROM audit_log')
check "UPDATE refused by the database" bash -c "! sqlite3 '$T/data/vsp.db' \"UPDATE audit_log SET result='ok' WHERE seq=3\" 2>/dev/null"
tamper() {  # tamper NAME SQL EXPECTED_SEQ
  rm -rf "$T/copy" && cp -r "$T/data" "$T/copy"
  sed "s|$T/data|$T/copy|" "$T/node.yml" >"$T/copy.yml"
  sqlite3 "$T/copy/vsp.db" "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; $2"
  out=$("$VSP" audit verify --config "$T/copy.yml"); rc=$?
  check "$1: exit 1 naming record $3 ($out)" bash -c "[ $rc = 1 ] && grep -q 'BROKEN at record $3:' <<<'$out'"
}
tamper "edited record" "UPDATE audit_log SET user='nobody' WHERE seq=7" 7
tamper "deleted record" "DELETE FROM audit_log WHERE seq=5" 6
tamper "deleted and renumbered" "DELETE FROM audit_log WHERE seq=5; UPDATE audit_log SET seq=seq-1 WHERE seq>5" 5
tamper "reordered records" "UPDATE audit_log SET seq=-1 WHERE seq=8; UPDATE audit_log SET seq=8 WHERE seq=9; UPDATE audit_log SET seq=9 WHERE seq=-1" 8
tamper "inserted record" "UPDATE audit_log SET seq=seq+1000 WHERE seq>=4; UPDATE audit_log SET seq=seq-999 WHERE seq>=1004; INSERT INTO audit_log SELECT 4, ts_ms, 'ghost', role, address, action, target, reason, result, prev_hash, hash FROM audit_log WHERE seq=3" 4
tamper "edited hash too" "UPDATE audit_log SET action='nothing', hash='$(printf %064d 1)' WHERE seq=$((n - 1))" $((n - 1))

echo "== TLS"
TPORT=$((PORT + 1))
write_cfg "$T/tls.yml" "127.0.0.1:$TPORT" ", tls: {cert: $T/cert.pem, key: $T/key.pem}"
start_node "$T/tls.yml" "https://127.0.0.1:$TPORT" || bad "TLS node starts"
check "HTTPS with the test certificate" [ "$(code --cacert "$T/cert.pem" -H "Authorization: Bearer $TOK_admin" "https://127.0.0.1:$TPORT/api/cameras")" = 200 ]
check "plain HTTP to the TLS port fails cleanly" bash -c "! curl -s -m 5 -o /dev/null http://127.0.0.1:$TPORT/healthz"
check "HTTPS still serves after that" [ "$(code --cacert "$T/cert.pem" "https://127.0.0.1:$TPORT/healthz")" = 200 ]
check "session cookie is Secure over TLS" bash -c "curl -s --cacert '$T/cert.pem' -D - -o /dev/null -H 'Content-Type: application/json' -d '{\"name\":\"operator-user\",\"password\":\"correct horse battery\"}' https://127.0.0.1:$TPORT/api/login | grep -i 'set-cookie: vsp_session' | grep -q Secure"
stop_node
sed -i "s|key: $T/key.pem|key: $T/cert.pem|" "$T/tls.yml"
out=$(timeout 20 "$VSP" serve "$T/tls.yml" 2>&1); rc=$?
check "a certificate without its key: refused at start" bash -c "[ $rc = 1 ] && grep -q 'api.tls' <<<'$out'"

[ $fail -eq 0 ] && echo "auth_test: all passed" || { echo "auth_test: FAILED"; tail -20 "$T/node.log"; }
exit $fail
