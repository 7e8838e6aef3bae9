#!/usr/bin/env bash
# Where is the floor? Runs the SIGTERM benchmark (scripts/bench/shutdown-bench.js, same clients,
# same machine) against three servers with the same shutdown contract:
#   node   - the issue's yardstick: a plain Node `ws` server (scripts/bench/node-reference)
#   probe  - Open Liberty with the WebSocket protocol framed by hand on a Servlet upgrade
#            (scripts/bench/upgrade-probe): the least a WebSocket on Liberty can cost; ended by
#            Runtime.halt (probe-halt) or by dying of the signal (probe-signal)
#   service - this service, SHUTDOWN_EXIT=halt
# None of the first three is the service: no store, no chat. They bound what it could reach.
#   scripts/bench-floor.sh [sizes...]     default: 10000, 3 runs each
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(10000)
if [ ! -x target/liberty/wlp/bin/server ] || [ ! -f target/goingaway.war ]; then
  ./mvnw -B -q -ntp -DskipTests package liberty:create
fi
redis=target/bench/redis-server
[ -x "$redis" ] || { echo "run scripts/bench-shutdown.sh once first (it unpacks Redis)"; exit 1; }
(cd scripts/bench && npm ci --no-audit --no-fund --silent)
probe=$(scripts/bench/upgrade-probe/build.sh target/upgrade-probe)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1), node $(node --version)"
bench() { node scripts/bench/shutdown-bench.js "$@" "${sizes[@]}" --runs 3 | grep -v '^  kept'; }
echo "## node"; bench scripts/bench/node-reference target/goingaway.war liberty/config "$redis"
echo "## probe-halt"; JVM_ARGS="-Dprobe.exit=halt" bench target/liberty/wlp "$probe" liberty/config "$redis"
echo "## probe-signal"; JVM_ARGS="-Dprobe.exit=signal" bench target/liberty/wlp "$probe" liberty/config "$redis"
echo "## service (SHUTDOWN_EXIT=halt)"; SHUTDOWN_EXIT=halt bench target/liberty/wlp target/goingaway.war liberty/config "$redis"
