# Sourced by the benchmark scripts, from the project root: builds this tree's WAR and Liberty if
# they are missing, unpacks the tests' Redis binary (7.0.15, from org.signal:embedded-redis) to
# target/bench/redis-server and sets $redis to it, and installs the Node clients' packages.
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
