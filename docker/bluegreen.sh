#!/usr/bin/env bash
# Blue/green switch in Compose: bring up the other colour, wait until HAProxy sends it traffic,
# then stop the current one with SIGTERM. The stopped instance drains: readiness DOWN, HAProxy
# takes it out, every client gets its bye and close 1001 and reconnects through HAProxy to the
# new colour. Roll back by switching again.
#
#   docker/bluegreen.sh green      # blue -> green
#   docker/bluegreen.sh blue       # green -> blue
set -euo pipefail

case "${1:-}" in
  blue) to=blue; from=green ;;
  green) to=green; from=blue ;;
  *) echo "usage: $0 blue|green" >&2; exit 2 ;;
esac

cd "$(dirname "$0")"
compose() { docker compose -f compose.yml "$@"; }
STATS_URL=${STATS_URL:-http://127.0.0.1:8404/stats;csv}

# 1. The new colour, healthy (its image HEALTHCHECK is /health/ready).
compose up -d --wait "app_$to"

# 2. HAProxy has seen it UP (its own checks, every second). Poll with a deadline.
deadline=$((SECONDS + 30))
until curl -fsS "$STATS_URL" | awk -F, -v s="$to" '$1 == "app" && $2 == s && $18 == "UP" { ok = 1 } END { exit !ok }'; do
  if (( SECONDS >= deadline )); then
    echo "HAProxy does not report $to UP after 30 s; leaving $from in service" >&2
    exit 1
  fi
  sleep 1
done
echo "$to is UP in HAProxy; draining $from"

# 3. Stop the old colour: SIGTERM, then Compose waits up to stop_grace_period (15 s).
container=$(compose ps -q "app_$from")
started=$SECONDS
compose stop "app_$from"
took=$((SECONDS - started))
if [[ -n "$container" ]]; then
  code=$(docker inspect -f '{{.State.ExitCode}}' "$container")
  echo "app_$from stopped in ${took}s with exit code $code (143 = SIGTERM handled; 137 = killed)"
  docker logs "$container" 2>&1 | grep -E 'ws_shutdown_(started|completed|forced)' || true
  [[ "$code" == 143 ]]
fi
