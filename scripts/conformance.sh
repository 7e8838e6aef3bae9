#!/usr/bin/env bash
# WebSocket conformance run: Autobahn|Testsuite's fuzzingclient against the application's own
# servlet WebSocket transport. Builds the WAR and the Liberty runtime if missing, adds the
# test-only echo endpoint (dev.goingaway.conformance, from target/test-classes) to a copy of the
# WAR, starts that WAR alone on a private Liberty server (server 'conformance', user directory
# target/conformance/usr, free ports, in-memory store), runs ../shared/tools/autobahn/run.sh,
# stops the server and prints counts by behavior / behaviorClose and every case not
# OK / NON-STRICT / INFORMATIONAL. Exits with run.sh's status (0 all passed, 2 a case failed).
#
#   scripts/conformance.sh                          # every ported case against /ws/echo
#   scripts/conformance.sh "1.*,5.*,7.*"            # some cases (run.sh's CASES syntax)
#   CONFORMANCE_PATH=/ws/chat scripts/conformance.sh "1.1.1,6.2.3"   # another endpoint
#
# Report: target/conformance/report (summary.tsv, per-case JSON/HTML, wstest.log); server log:
# target/conformance/usr/servers/conformance/logs. Needs python3-autobahn and python3-twisted
# (see ../shared/tools/autobahn/README.md). Knobs: CONFORMANCE_PATH (default /ws/echo),
# AUTOBAHN (the run.sh to use), and run.sh's AB_* variables.
set -euo pipefail
cd "$(dirname "$0")/.."

cases="${1:-}"
path="${CONFORMANCE_PATH:-/ws/echo}"
autobahn="${AUTOBAHN:-../shared/tools/autobahn/run.sh}"
work="$PWD/target/conformance"
echo_classes=target/test-classes/dev/goingaway/conformance

# Maven offline first (~/.m2 is usually complete); online only if something was not there.
mvn() {
  mkdir -p "$work" && ./mvnw -B -ntp -q -o "$@" > "$work/mvn.log" 2>&1 && return
  if grep -q "in offline mode" "$work/mvn.log"; then
    echo "not everything is in ~/.m2: building online"; ./mvnw -B -ntp -q "$@"
  else
    cat "$work/mvn.log" >&2; return 1
  fi
}

[ -x "$autobahn" ] || { echo "no Autobahn runner at $autobahn (set AUTOBAHN)" >&2; exit 1; }
if [ ! -f target/goingaway.war ] || [ ! -x target/liberty/wlp/bin/server ] \
   || [ -n "$(find src/main pom.xml -newer target/goingaway.war -print -quit)" ]; then
  echo "building the WAR and the Liberty runtime"
  mvn -DskipTests package liberty:create
fi
if [ ! -d "$echo_classes" ] || [ -n "$(find src/test -newer "$echo_classes" -print -quit)" ]; then
  echo "compiling the test classes (echo endpoint)"
  mvn test-compile
  [ ! -d "$echo_classes" ] || touch "$echo_classes" # javac rewrites files in place: mark the compile
fi

# The conformance WAR: the application plus the echo endpoint's classes.
rm -rf "$work/usr" "$work/stage" && mkdir -p "$work/stage/WEB-INF/classes/dev/goingaway"
war="$work/goingaway-conformance.war"
cp target/goingaway.war "$war"
if [ -d "$echo_classes" ]; then
  cp -r "$echo_classes" "$work/stage/WEB-INF/classes/dev/goingaway/"
  jar uf "$war" -C "$work/stage" WEB-INF
elif [ "$path" = /ws/echo ]; then
  echo "no $echo_classes: the echo endpoint (src/test/java/dev/goingaway/conformance) is missing" >&2
  exit 1
else
  echo "note: no echo endpoint classes; testing $path of the plain WAR"
fi

# A private server: its own user directory, the project's server.xml, this WAR only.
server_dir="$work/usr/servers/conformance"
mkdir -p "$server_dir/dropins"
find liberty/config -maxdepth 1 -type f -exec cp {} "$server_dir/" \;
cp "$war" "$server_dir/dropins/goingaway.war"
read -r http_port https_port < <(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')

console="$work/console.log"
env -u REDIS_URL WLP_USER_DIR="$work/usr" HTTP_PORT="$http_port" HTTPS_PORT="$https_port" \
  INSTANCE_ID=conformance target/liberty/wlp/bin/server run conformance > "$console" 2>&1 &
server_pid=$!
stop_server() {
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    timeout 30 tail --pid="$server_pid" -f /dev/null || kill -KILL "$server_pid" 2>/dev/null || true
    echo "server stopped (console: $console)"
  fi
}
trap stop_server EXIT

deadline=$(( $(date +%s) + 120 ))
until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$http_port/health/ready" 2>/dev/null; do
  if ! kill -0 "$server_pid" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
    echo "server not ready (exited or 120 s passed); console:" >&2
    tail -30 "$console" >&2
    exit 1
  fi
  sleep 0.2 # poll interval of the deadline-bounded readiness wait
done
echo "server ready on port $http_port (pid $server_pid)"

status=0
"$autobahn" "ws://127.0.0.1:$http_port$path" "$work/report" ${cases:+"$cases"} || status=$?
stop_server

summary="$work/report/summary.tsv"
if [ -f "$summary" ]; then
  echo "== behavior";      cut -f2 "$summary" | sort | uniq -c | sort -rn
  echo "== behaviorClose"; cut -f3 "$summary" | sort | uniq -c | sort -rn
  echo "== cases not OK / NON-STRICT / INFORMATIONAL (case, behavior, behaviorClose, remoteCloseCode)"
  awk -F'\t' 'function ok(v) { return v == "OK" || v == "NON-STRICT" || v == "INFORMATIONAL" }
    !ok($2) || !ok($3) { printf "  %-8s %-14s %-16s %s\n", $1, $2, $3, $4; n++ }
    END { print "  " (n + 0) " of " NR " cases" }' "$summary"
else
  echo "no $summary: the fuzzer did not finish (see $work/report/wstest.log)" >&2
fi
exit "$status"
