# Shared by the integration test scripts: result lines, polling, and where the data is.
# Source it after setting `set -u`; it sets `fail`, which the script returns with `exit $fail`.
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
# check NAME CMD...: runs CMD, reports NAME as ok or FAIL
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
# wait_for SECONDS CMD...: polls once a second until CMD succeeds
wait_for() { local n=$1; shift; for _ in $(seq "$n"); do "$@" && return 0; sleep 1; done; return 1; }
DATA=${VSP_DATA_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/shared/data}
# free_base N: prints a port P such that P..P+N-1 are all unbound. Stays below the kernel's
# ephemeral range (32768+ on Debian), where a client socket of any process (Chromium, npm) can
# take a port between our check and the server's bind (seen in CI as "port in use").
free_base() {
  local n=$1 base p used lo
  lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for _ in $(seq 50); do
    base=$((10000 + RANDOM % (lo - 10000 - n)))
    used=0
    for ((p = base; p < base + n; p++)); do
      if ss -Htan "sport = :$p" 2>/dev/null | grep -q .; then used=1; break; fi
    done
    [ $used -eq 0 ] && { echo "$base"; return 0; }
  done
  echo "$base"
}
