package dev.goingaway.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.resps.ClusterShardInfo;
import redis.clients.jedis.resps.ClusterShardNodeInfo;

/**
 * A real Redis Cluster, owned by the test: primaries that split the 16384 slots evenly, each
 * with its replicas, all processes of the redis-server binary that {@link RedisProcess} runs,
 * joined with CLUSTER commands (there is no redis-cli). The primary serving a key can be killed
 * with SIGKILL and the replica's promotion awaited.
 */
public final class RedisClusterSetup implements AutoCloseable {

    private static final int SLOTS = 16384;
    private static final Duration SETTLE = Duration.ofSeconds(20);

    private final Duration nodeTimeout;
    private final Path root;
    private final List<RedisNode> nodes = new ArrayList<>();

    private RedisClusterSetup(Duration nodeTimeout) {
        this.nodeTimeout = nodeTimeout;
        this.root = RedisNode.tempDir("goingaway-cluster-");
    }

    /** {@link #start(int, int, Duration)} with a {@code cluster-node-timeout} of one second. */
    public static RedisClusterSetup start(int primaries, int replicasPerPrimary) throws IOException {
        return start(primaries, replicasPerPrimary, Duration.ofMillis(1000));
    }

    /**
     * Starts {@code primaries} primaries with {@code replicasPerPrimary} replicas each and returns
     * once every node sees every other, each replica is in sync with its primary and every node
     * says {@code cluster_state:ok}.
     */
    public static RedisClusterSetup start(int primaries, int replicasPerPrimary, Duration nodeTimeout) throws IOException {
        if (primaries < 1 || replicasPerPrimary < 0) {
            throw new IllegalArgumentException(primaries + " primaries, " + replicasPerPrimary + " replicas each");
        }
        RedisClusterSetup setup = new RedisClusterSetup(nodeTimeout);
        try {
            setup.build(primaries, replicasPerPrimary);
            return setup;
        } catch (IOException | RuntimeException | Error e) {
            setup.close();
            throw e;
        }
    }

    private void build(int primaryCount, int replicasPerPrimary) throws IOException {
        int total = primaryCount * (1 + replicasPerPrimary);
        // Each node gets its cluster bus port from FreePort too: the default, port + 10000, can
        // be taken or fall into the ephemeral range.
        List<Integer> ports = RedisNode.distinctPorts(2 * total);
        List<Integer> busPorts = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            RedisNode node = RedisNode.at(ports.get(i), RedisNode.subDir(root, "node-" + ports.get(i)));
            busPorts.add(ports.get(total + i));
            nodes.add(node);
            node.start(List.of("--port", Integer.toString(node.port()), "--bind", RedisNode.HOST,
                    "--cluster-port", Integer.toString(busPorts.get(i)),
                    "--cluster-enabled", "yes",
                    "--cluster-node-timeout", Long.toString(nodeTimeout.toMillis()),
                    "--cluster-config-file", node.dir().resolve("nodes.conf").toString(),
                    "--save", "", "--appendonly", "no", "--dir", node.dir().toString(),
                    // 7.0 waits 5 s by default before a diskless full sync, in case more replicas come
                    "--repl-diskless-sync-delay", "0"));
        }
        List<RedisNode> primaryNodes = nodes.subList(0, primaryCount);
        for (int i = 0; i < total; i++) {
            // Distinct epochs before the nodes meet, as redis-cli does: no collisions to resolve.
            long epoch = i + 1L;
            nodes.get(i).query(j -> j.clusterSetConfigEpoch(epoch));
        }
        for (int i = 0; i < primaryCount; i++) {
            int from = i * SLOTS / primaryCount;
            int to = (i + 1) * SLOTS / primaryCount - 1;
            primaryNodes.get(i).query(j -> j.clusterAddSlotsRange(from, to));
        }
        RedisNode first = nodes.get(0);
        for (int i = 1; i < total; i++) {
            String port = Integer.toString(nodes.get(i).port());
            String bus = Integer.toString(busPorts.get(i));
            // The bus port must be given: without it the meeting node assumes port + 10000.
            first.query(j -> j.sendCommand(Protocol.Command.CLUSTER, "MEET", RedisNode.HOST, port, bus));
        }
        Await.until("every cluster node knows all " + total + " nodes", SETTLE,
                () -> nodes.stream().allMatch(n -> n.check(j -> knowsAll(j.clusterNodes(), total))));

        List<String> primaryIds = primaryNodes.stream().map(p -> p.query(Jedis::clusterMyId)).toList();
        List<RedisNode> replicas = nodes.subList(primaryCount, total);
        for (int r = 0; r < replicas.size(); r++) {
            String primaryId = primaryIds.get(r % primaryCount);
            RedisNode replica = replicas.get(r);
            Await.until("replica " + replica + " knows primary " + primaryId, SETTLE,
                    () -> replica.check(j -> j.clusterNodes().contains(primaryId)));
            replica.query(j -> j.clusterReplicate(primaryId));
        }
        for (RedisNode replica : replicas) {
            Await.until("replica " + replica + " is in sync with its primary", SETTLE,
                    () -> replica.check(j -> "up".equals(RedisNode.field(j.info("replication"), "master_link_status"))));
        }
        int replicaCount = replicas.size();
        Await.until("every node says cluster_state:ok and sees all " + replicaCount + " replicas", SETTLE,
                () -> nodes.stream().allMatch(n -> n.check(j -> "ok".equals(RedisNode.field(j.clusterInfo(), "cluster_state"))
                        && replicaLines(j.clusterNodes()) == replicaCount)));
    }

    /** Every node of the cluster is in the table, none still in handshake or unreachable. */
    private static boolean knowsAll(String clusterNodes, int total) {
        String[] lines = clusterNodes.trim().split("\n");
        if (lines.length != total) {
            return false;
        }
        for (String line : lines) {
            String[] f = line.split(" ");
            if (f[2].contains("handshake") || f[2].contains("noaddr") || f[2].contains("fail") || !"connected".equals(f[7])) {
                return false;
            }
        }
        return true;
    }

    private static long replicaLines(String clusterNodes) {
        return clusterNodes.lines().filter(l -> l.split(" ")[2].contains("slave")).count();
    }

    /** Every node's address, comma-separated, the form the service's cluster setting takes. */
    public String seeds() {
        return nodes.stream().map(RedisNode::toString).collect(Collectors.joining(","));
    }

    /** The masters serving slots now, as a running node sees them, in slot order. */
    public List<HostAndPort> primaries() {
        return live().query(j -> j.clusterShards()).stream()
                .filter(shard -> !shard.getSlots().isEmpty())
                .sorted(Comparator.comparing(shard -> shard.getSlots().get(0).get(0)))
                .map(RedisClusterSetup::masterOf)
                .filter(Objects::nonNull)
                .toList();
    }

    /** The master serving {@code key}'s slot, as a running node sees it (CLUSTER KEYSLOT, CLUSTER SHARDS). */
    public HostAndPort primaryOf(String key) {
        RedisNode asked = live();
        long slot = asked.query(j -> j.clusterKeySlot(key));
        HostAndPort master = servingAsSeenBy(asked, slot);
        if (master == null) {
            throw new IllegalStateException("no master that is up serves slot " + slot + " of " + key);
        }
        return master;
    }

    /** SIGKILLs the master serving {@code key} and returns its port. */
    public int killPrimaryOf(String key) {
        int port = primaryOf(key).getPort();
        node(port).kill();
        return port;
    }

    /**
     * Waits until every running node sees {@code key}'s slot served by the same master other than
     * {@code old}, that node answers ROLE as a master, and every running node says
     * {@code cluster_state:ok}; returns the new master.
     */
    public HostAndPort awaitFailoverOf(String key, HostAndPort old, Duration within) {
        long slot = live().query(j -> j.clusterKeySlot(key));
        AtomicReference<HostAndPort> promoted = new AtomicReference<>();
        Await.until("slot " + slot + " of " + key + " served by a master other than " + old + ", cluster ok", within, () -> {
            Set<HostAndPort> seen = new HashSet<>();
            for (RedisNode n : nodes) {
                if (!n.alive()) {
                    continue;
                }
                if (!n.check(j -> "ok".equals(RedisNode.field(j.clusterInfo(), "cluster_state")))) {
                    return false;
                }
                seen.add(servingAsSeenBy(n, slot));
            }
            if (seen.size() != 1) {
                return false;
            }
            HostAndPort candidate = seen.iterator().next();
            if (candidate == null || candidate.equals(old) || !RedisNode.isMaster(candidate)) {
                return false;
            }
            promoted.set(candidate);
            return true;
        });
        return promoted.get();
    }

    /** The master, not failed, that {@code asked} says serves {@code slot}; null if none or it does not answer. */
    private static HostAndPort servingAsSeenBy(RedisNode asked, long slot) {
        List<ClusterShardInfo> shards;
        try {
            shards = asked.query(Jedis::clusterShards);
        } catch (JedisException e) {
            return null;
        }
        for (ClusterShardInfo shard : shards) {
            for (List<Long> range : shard.getSlots()) {
                if (range.get(0) <= slot && slot <= range.get(1)) {
                    return masterOf(shard);
                }
            }
        }
        return null;
    }

    private static HostAndPort masterOf(ClusterShardInfo shard) {
        for (ClusterShardNodeInfo n : shard.getNodes()) {
            if ("master".equals(n.getRole()) && "online".equals(n.getHealth())) {
                return new HostAndPort(n.getIp(), n.getPort().intValue());
            }
        }
        return null;
    }

    private RedisNode live() {
        return nodes.stream().filter(RedisNode::alive).findFirst()
                .orElseThrow(() -> new IllegalStateException("no cluster node is running"));
    }

    private RedisNode node(int port) {
        return nodes.stream().filter(n -> n.port() == port).findFirst()
                .orElseThrow(() -> new IllegalStateException(port + " is not a node of this cluster"));
    }

    /** Kills every process and deletes their directories. */
    @Override
    public void close() {
        for (RedisNode node : nodes) {
            node.close();
        }
        RedisNode.deleteRecursively(root);
    }
}
