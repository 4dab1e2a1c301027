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
