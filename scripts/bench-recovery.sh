#!/usr/bin/env bash
# Recovery benchmark (issue 16): what the numbered streams cost and what a resume storm looks
# like, a baseline WAR against this tree's WAR, alternating (base, head, base, head, ...), each run
# on a fresh Redis and a fresh Liberty server (RATE_LIMIT=100000, HISTORY_SIZE/HISTORY_TTL default).
# Per round and WAR it prints one line per phase:
#   throughput  N clients in rooms of 4, 4 messages unacknowledged each, 3 s warm-up + S s:
#               acks/s, send->ack latency p50/p99/max, room messages per client, fan-out completeness;
#   memory      50 rooms x 200 messages of ~300 bytes (the default window): Redis used_memory per
#               room and per message (skipped for a WAR whose welcome has no streams);
#   storm       K clients (rooms of 4) leave, 2 messages go into every room, all resume with
#               session + since spread over 5 s: time until the last has both missed messages,
#               recovered true/false, Redis commands per resume, welcome latency p50/p99;
#   server      the server's own trouble counters and WARNING lines, if any;
# then the medians over the rounds per WAR and head/base ratios of acks/s and p99.
#
# BASE_WAR is the WAR to compare against (required). To build one from an older commit:
#   git worktree add /tmp/base <rev> && (cd /tmp/base && ./mvnw -B -ntp -DskipTests package)
#   BASE_WAR=/tmp/base/target/goingaway.war scripts/bench-recovery.sh
#   (git worktree remove /tmp/base afterwards)
# Arguments go to scripts/bench/recovery-bench.js, defaults there:
#   --rounds 3 --clients 200 --seconds 10 --storm 5000 [--client-threads 2]
# e.g. a quick look: BASE_WAR=... scripts/bench-recovery.sh --rounds 1 --clients 40 --seconds 3 --storm 400
# Needs Node and npm; builds this tree's WAR and Liberty if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BASE_WAR:-}" ] || [ ! -f "$BASE_WAR" ]; then
  echo "BASE_WAR must name a baseline WAR (see the header of $0 for how to build one); got '${BASE_WAR:-}'" >&2
  exit 2
fi
BASE_WAR=$(cd "$(dirname "$BASE_WAR")" && pwd)/$(basename "$BASE_WAR")
. scripts/bench/prepare.sh
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)"
echo "head: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src pom.xml liberty || echo ' (+ uncommitted changes)')"
node scripts/bench/recovery-bench.js target/liberty/wlp liberty/config "$redis" \
  --war base="$BASE_WAR" --war head=target/goingaway.war "$@"
