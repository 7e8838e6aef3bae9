#!/usr/bin/env bash
# Blue/green rollover benchmark: the project's Liberty server twice (blue and green) behind a real
# HAProxy, one real Redis, CLIENTS chat clients talking through the proxy, ROLLOVERS rollovers
# (SIGTERM to the serving instance once the other is UP). Prints what was sent, acked, errored,
# lost and duplicated, the reconnect times and handshake rates, and ends with
# "rollover: N passed, M failed". Exits non-zero if any check failed.
#
#   scripts/rollover.sh                    # 5,000 clients, 5 rollovers (the benchmark)
#   scripts/rollover.sh 200 2              # the size CI runs inside 'mvn verify'
#   scripts/rollover.sh 1000 3 -Drollover.pauseMillis=1000 -Drollover.roomSize=8
#
# Needs root (or haproxy already installed): a missing haproxy is installed with apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

clients="${1:-${CLIENTS:-5000}}"
rollovers="${2:-${ROLLOVERS:-5}}"
shift $(( $# < 2 ? $# : 2 ))

if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "haproxy is not installed and this is not root: run 'sudo apt-get install haproxy' first" >&2
        exit 1
    fi
    echo "installing haproxy (Debian package)"
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends haproxy
fi

mkdir -p target
log="target/rollover-${clients}x${rollovers}.log"
status=0
./mvnw -B -ntp verify -Prollover-bench \
    -Drollover.clients="$clients" -Drollover.rollovers="$rollovers" "$@" > "$log" 2>&1 || status=$?

# The report RolloverIT printed, from its first line to the summary line.
if ! sed -n '/^clients [0-9]* *, rollovers/,/^rollover: [0-9]* passed/p' "$log" | grep .; then
    echo "no rollover report in $log; its end:" >&2
    tail -40 "$log" >&2
fi
echo "full log: $log"
exit "$status"
