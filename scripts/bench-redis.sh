#!/usr/bin/env bash
# Redis shapes benchmark (issue 17): what chat costs with its state on one Redis node, behind
# Sentinel (a primary, a replica, three sentinels) and on a Redis Cluster (three primaries with a
# replica each), and what the clients see when a primary is SIGKILLed. Per round the shapes run
# in turn (single, sentinel, cluster, ...), each on a fresh Redis topology built from the
# redis-server binary and a fresh Liberty server with this tree's WAR (RATE_LIMIT=100000,
# HISTORY_SIZE/HISTORY_TTL default). Per round and shape it prints one line per phase:
#   throughput  N clients in rooms of 4, 4 messages unacknowledged each, 3 s warm-up + S s:
#               acks/s, send->ack latency p50/p99/max, room messages per client, fan-out completeness;
#   failover    (sentinel and cluster) 40 clients in rooms of 4, each sending every 50 ms; the
#               primary (cluster: the one serving the first room's stream) is SIGKILLed; from the
#               kill: (a) until the sentinels / every cluster node name a new primary that answers
#               ROLE master; (b) until every member of every room on it has been told (reset) of an
#               epoch that is neither the one from before nor local ("L..."), i.e. writes go through
#               the new primary; (c) what the messages sent from the kill to (b) got: acks, errors,
#               nothing 5 s after (b), ack latency, the longest time without any ack, offsets
#               skipped or repeated without a reset; on the cluster also the rooms on the other
#               primaries ("bystanders");
#   server      the server's own trouble counters and WARNING lines, if any;
# then the medians over the rounds per shape and the ratios sentinel/single and cluster/single of
# acks/s and ack p99.
#
#   scripts/bench-redis.sh [--rounds N --clients N --seconds N]    (defaults 3, 200, 10)
#   e.g. a quick look: scripts/bench-redis.sh --rounds 1 --clients 40 --seconds 3
# Further options of scripts/bench/redis-bench.js: --client-threads 2, --shapes single,sentinel,cluster;
# BENCH_KEEP=1 keeps the servers' and the topologies' directories (console.log, redis logs).
# A default run takes about 3 minutes a round. Needs Node and npm; builds this tree's WAR and
# Liberty if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench/prepare.sh
echo "head: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src pom.xml liberty || echo ' (+ uncommitted changes)')"
node scripts/bench/redis-bench.js target/liberty/wlp liberty/config "$redis" --war target/goingaway.war "$@"
