#!/usr/bin/env bash
# Stops a Liberty server the graceful way: SIGTERM to its JVM (what Kubernetes and Docker do),
# then waits for it to exit. `server stop` / `liberty:stop` cannot do this: Liberty drops every
# open WebSocket without a close frame before the application hears of the stop (README, Shutdown).
#   scripts/graceful-stop.sh [server-name]      (default: goingaway)
set -euo pipefail
name=${1:-goingaway}
pids=$(pgrep -f "ws-server.jar ${name}( |$)" || true)
if [ -z "$pids" ]; then
  echo "no running Liberty server named ${name}" >&2
  exit 1
fi
for pid in $pids; do
  echo "SIGTERM -> ${name} (pid ${pid})"
  kill -TERM "$pid"
done
for _ in $(seq 1 120); do
  alive=0
  for pid in $pids; do
    if [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != "" ] && [ "$(ps -o stat= -p "$pid" | cut -c1)" != "Z" ]; then alive=1; fi
  done
  [ $alive -eq 0 ] && { echo "${name} stopped"; exit 0; }
  sleep 0.1
done
echo "${name} still running after 12 s" >&2
exit 1
