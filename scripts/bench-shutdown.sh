#!/usr/bin/env bash
# SIGTERM benchmark (issue 3): 1,000 / 5,000 / 10,000 idle connections, 3 runs each.
# Prints SIGTERM -> all byes sent, -> all closed, -> process exit, share of clients with
# bye + 1001, and heap per idle connection. Needs a JDK (jcmd), Node and npm.
#   scripts/bench-shutdown.sh [sizes...]     e.g. scripts/bench-shutdown.sh 1000 5000 10000
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1000 5000 10000)
. scripts/bench/prepare.sh
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)"
node scripts/bench/shutdown-bench.js target/liberty/wlp target/goingaway.war liberty/config "$redis" "${sizes[@]}" --runs 3
