#!/usr/bin/env bash
# SIGTERM benchmark (issue 3): 1,000 / 5,000 / 10,000 idle connections, 3 runs each.
# Prints SIGTERM -> all byes sent, -> all closed, -> process exit, share of clients with
# bye + 1001, and heap per idle connection. Needs a JDK (jcmd), Node and npm.
#   scripts/bench-shutdown.sh [sizes...]     e.g. scripts/bench-shutdown.sh 1000 5000 10000
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1000 5000 10000)
if [ ! -x target/liberty/wlp/bin/server ] || [ ! -f target/goingaway.war ]; then
  ./mvnw -B -q -ntp -DskipTests package liberty:create
fi
redis=target/bench/redis-server
if [ ! -x "$redis" ]; then
  mkdir -p target/bench
  jar=$(find ~/.m2/repository/org/signal/embedded-redis -name 'embedded-redis-*.jar' | head -1)
  [ -n "$jar" ] || ./mvnw -B -q -ntp dependency:get -Dartifact=org.signal:embedded-redis:0.9.1
  jar=$(find ~/.m2/repository/org/signal/embedded-redis -name 'embedded-redis-*.jar' | head -1)
  unzip -p "$jar" redis-server-7.0.15-linux-amd64 > "$redis" && chmod +x "$redis"
fi
(cd scripts/bench && npm ci --no-audit --no-fund --silent)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)"
node scripts/bench/shutdown-bench.js target/liberty/wlp target/goingaway.war liberty/config "$redis" "${sizes[@]}" --runs 3
