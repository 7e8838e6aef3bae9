#!/usr/bin/env bash
# Graceful-shutdown test in Compose, from the outside: CLIENTS WebSocket clients connect through
# HAProxy to app_blue (green stopped), app_blue gets SIGTERM, and then
#   - every client has received its bye frame before the close,
#   - the container ended by itself (exit code 143; 137 would mean SIGKILL),
#   - within 10 s of the signal, and without the watchdog's ws_shutdown_forced.
#
#   ./mvnw -B -ntp package && CLIENTS=200 docker/shutdown-test.sh
set -euo pipefail

cd "$(dirname "$0")"
export CLIENTS=${CLIENTS:-50}
BOUND_SECONDS=10
compose() { docker compose -f compose.yml "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

compose up -d --build --wait redis proxy app_blue
compose stop app_green >/dev/null 2>&1 || true
compose --profile test rm -fsv ws_probe >/dev/null 2>&1 || true

# Clients, and a deadline for all of them to be connected (seen in the app's own gauge).
compose --profile test up -d --no-deps ws_probe
deadline=$((SECONDS + 60))
while :; do
  active=$(curl -fsS "http://localhost:8080/metrics?scope=application" \
    | awk '/^ws_sessions_active/ { n = $NF } END { print int(n) }')
  (( active >= CLIENTS )) && break
  (( SECONDS >= deadline )) && fail "only $active of $CLIENTS clients connected after 60 s"
  sleep 1
done
echo "$active clients connected to app_blue"

# The signal (the image's STOPSIGNAL, SIGTERM), and the time until the container is gone.
# docker stop would send SIGKILL after 30 s; the exit code tells whether it had to.
blue=$(compose ps -q app_blue)
start=$(date +%s%N)
docker stop --time 30 "$blue" >/dev/null
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
code=$(docker inspect -f '{{.State.ExitCode}}' "$blue")
echo "app_blue exited with $code after ${elapsed_ms} ms"

probe=$(compose --profile test ps -aq ws_probe)
timeout 30 docker wait "$probe" >/dev/null || fail "WebSocket clients still open 30 s after SIGTERM"
summary=$(docker logs "$probe" 2>&1 | grep '^ws_probe ')
echo "$summary"
docker logs "$blue" 2>&1 | grep -E 'ws_shutdown_(started|completed|forced)' || true

[[ "$code" == 143 ]] || fail "exit code $code, expected 143 (SIGTERM handled)"
(( elapsed_ms <= BOUND_SECONDS * 1000 )) || fail "took ${elapsed_ms} ms, the promise is ${BOUND_SECONDS} s"
! docker logs "$blue" 2>&1 | grep -q ws_shutdown_forced || fail "the watchdog had to halt the JVM"
byes=$(sed -E 's/.* byes=([0-9]+).*/\1/' <<<"$summary")
(( byes == CLIENTS )) || fail "$byes of $CLIENTS clients got a bye"
echo "PASS: $CLIENTS clients got their bye; app_blue gone in ${elapsed_ms} ms"

compose up -d --wait app_blue
