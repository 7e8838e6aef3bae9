#!/usr/bin/env bash
# Slow-consumer benchmark (hardening/SlowConsumerBench): 5,000 clients of which 10% stop reading,
# alternating with runs where all of them read. Prints the readers' send-to-ack latency (p50, p99,
# p99.9, max), SIGTERM-to-exit time and how many readers got bye + 1001, per run, and a table at
# the end. Not a test: nothing is asserted. The full output is kept in target/bench-slow.log.
#
#   scripts/bench-slow.sh                         # 10,0,10,0 % non-readers, non-readers idle
#   scripts/bench-slow.sh -Dbench.fillMB=2 -Dbench.scenarios=10,0
#                                                 # non-readers' sockets full at the SIGTERM
#   scripts/bench-slow.sh -Dbench.clients=1000 -Dbench.seconds=10
#
# Other knobs: -Dbench.room=10 -Dbench.text=200 -Dbench.pauseMillis=20000 -Dbench.warmup=10
# -Dbench.heartbeat=25s (see the class's Javadoc).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
./mvnw -B -ntp verify -Pbench-slow "$@" 2>&1 | tee target/bench-slow.log \
    | grep -E '^(---|connected|filled|acks over|Result|===|stalled |[0-9]+% |shutdown report)' || true
