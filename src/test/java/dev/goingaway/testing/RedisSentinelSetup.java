package dev.goingaway.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A real Redis Sentinel deployment, owned by the test: a primary, one replica and three
 * sentinels, all processes of the redis-server binary that {@link RedisProcess} runs, monitoring
 * the master {@value #MASTER_NAME} with a quorum of two. The primary can be killed with SIGKILL,
 * the failover awaited and the killed node brought back as a replica.
 */
public final class RedisSentinelSetup implements AutoCloseable {

    public static final String MASTER_NAME = "goingaway";
    private static final Duration SETTLE = Duration.ofSeconds(20);

    private final Duration downAfter;
    private final Path root;
    /** Data nodes by port; a killed one stays here so it can be restarted on its port. */
    private final Map<Integer, RedisNode> dataNodes = new ConcurrentHashMap<>();
    private final List<RedisNode> sentinels = new ArrayList<>();

    private RedisSentinelSetup(Duration downAfter) {
        this.downAfter = downAfter;
        this.root = RedisNode.tempDir("goingaway-sentinel-");
    }

    /** {@link #start(Duration)} with sentinels that call a silent primary down after one second. */
    public static RedisSentinelSetup start() throws IOException {
        return start(Duration.ofMillis(1000));
    }

    /**
     * Starts the primary, the replica and the three sentinels ({@code down-after-milliseconds}
     * {@code downAfter}, {@code failover-timeout} 3000, {@code parallel-syncs} 1) and returns once
     * the replica is in sync and every sentinel knows the primary, the replica and the two other
     * sentinels.
     */
    public static RedisSentinelSetup start(Duration downAfter) throws IOException {
        RedisSentinelSetup setup = new RedisSentinelSetup(downAfter);
        try {
            setup.startAll();
            return setup;
        } catch (IOException | RuntimeException | Error e) {
            setup.close();
            throw e;
        }
    }

    private void startAll() throws IOException {
        List<Integer> list = RedisNode.distinctPorts(5);
        RedisNode primary = startDataNode(list.get(0), null);
        RedisNode replica = startDataNode(list.get(1), primary.port());
        for (int i = 0; i < 3; i++) {
            sentinels.add(startSentinel(list.get(2 + i), primary.port()));
        }
        awaitInSync(replica);
        Await.until("every sentinel knows the primary, the replica and the two other sentinels", SETTLE,
                () -> sentinels.stream().allMatch(s -> knowsReplica(s, replica.port(), primary.port())
                        && s.check(j -> "2".equals(j.sentinelMaster(MASTER_NAME).get("num-other-sentinels")))));
    }

    private RedisNode startDataNode(int port, Integer primaryPort) throws IOException {
        RedisNode node = dataNodes.computeIfAbsent(port, p -> RedisNode.at(p, RedisNode.subDir(root, "redis-" + p)));
        List<String> args = new ArrayList<>(List.of("--port", Integer.toString(port), "--bind", RedisNode.HOST,
                "--save", "", "--appendonly", "no", "--dir", node.dir().toString(),
                // 7.0 waits 5 s by default before a diskless full sync, in case more replicas come
                "--repl-diskless-sync-delay", "0"));
        if (primaryPort != null) {
            args.addAll(List.of("--replicaof", RedisNode.HOST, Integer.toString(primaryPort)));
        }
        node.start(args);
        return node;
    }

    private RedisNode startSentinel(int port, int primaryPort) throws IOException {
        RedisNode sentinel = RedisNode.at(port, RedisNode.subDir(root, "sentinel-" + port));
        // Each sentinel rewrites its own file (its id, the replicas and sentinels it discovered).
        Path conf = sentinel.dir().resolve("sentinel.conf");
        Files.writeString(conf, String.join("\n",
                "port " + port,
                "bind " + RedisNode.HOST,
                "dir " + sentinel.dir(),
                "sentinel resolve-hostnames no",
                "sentinel announce-ip " + RedisNode.HOST,
                "sentinel monitor " + MASTER_NAME + " " + RedisNode.HOST + " " + primaryPort + " 2",
                "sentinel down-after-milliseconds " + MASTER_NAME + " " + downAfter.toMillis(),
                "sentinel failover-timeout " + MASTER_NAME + " 3000",
                "sentinel parallel-syncs " + MASTER_NAME + " 1",
                ""));
        sentinel.start(List.of(conf.toString(), "--sentinel"));
        return sentinel;
    }

    /** The sentinels' addresses, comma-separated, the form the service's sentinel setting takes. */
    public String sentinelNodes() {
        return sentinels.stream().map(RedisNode::toString).collect(Collectors.joining(","));
    }

    public String masterName() {
        return MASTER_NAME;
    }

    /** The primary as the first answering sentinel names it (SENTINEL get-master-addr-by-name). */
    public HostAndPort primary() {
        for (RedisNode s : sentinels) {
            HostAndPort named = namedBy(s);
            if (named != null) {
                return named;
            }
        }
        throw new IllegalStateException("no sentinel names a primary for " + MASTER_NAME);
    }

    /** A new client to the current primary; the caller closes it. */
    public Jedis primaryClient() {
        HostAndPort p = primary();
        return new Jedis(p.getHost(), p.getPort(), 2000);
    }

    /** SIGKILLs the current primary and returns its port. */
    public int killPrimary() {
        int port = primary().getPort();
        RedisNode node = dataNodes.get(port);
        if (node == null) {
            throw new IllegalStateException("the sentinels name " + port + ", which is not a node of this setup");
        }
        node.kill();
        return port;
    }

    /**
     * Waits until every sentinel names the same primary other than {@code old} and that node
     * answers ROLE as a master; returns it.
     */
    public HostAndPort awaitFailover(HostAndPort old, Duration within) {
        AtomicReference<HostAndPort> promoted = new AtomicReference<>();
        Await.until("every sentinel names a new primary instead of " + old + ", and it is a master", within, () -> {
            Set<HostAndPort> named = new HashSet<>();
            for (RedisNode s : sentinels) {
                named.add(namedBy(s));
            }
            if (named.size() != 1) {
                return false;
            }
            HostAndPort candidate = named.iterator().next();
            if (candidate == null || candidate.equals(old) || !RedisNode.isMaster(candidate)) {
                return false;
            }
            promoted.set(candidate);
            return true;
        });
        return promoted.get();
    }

    /**
     * Starts the killed node on {@code port} again, as a replica of the current primary, and waits
     * until it is in sync and every sentinel lists it as a healthy replica of that primary, so the
     * setup can fail over again.
     */
    public void restartAsReplica(int port) throws IOException {
        RedisNode node = dataNodes.get(port);
        if (node == null) {
            throw new IllegalArgumentException(port + " is not a data node of this setup");
        }
        int primaryPort = primary().getPort();
        if (primaryPort == port) {
            throw new IllegalStateException("the sentinels still name " + port + " the primary");
        }
        startDataNode(port, primaryPort);
        awaitInSync(node);
        Await.until("every sentinel lists " + port + " as a healthy replica of " + primaryPort, SETTLE,
                () -> sentinels.stream().allMatch(s -> knowsReplica(s, port, primaryPort)));
    }

    private static void awaitInSync(RedisNode replica) {
        Await.until("replica " + replica + " is in sync with its primary", SETTLE,
                () -> replica.check(j -> "up".equals(RedisNode.field(j.info("replication"), "master_link_status"))));
    }

    /** The sentinel lists the replica as up, reporting a working link to {@code primaryPort}. */
    private static boolean knowsReplica(RedisNode sentinel, int replicaPort, int primaryPort) {
        return sentinel.check(j -> j.sentinelReplicas(MASTER_NAME).stream().anyMatch(r ->
                Integer.toString(replicaPort).equals(r.get("port"))
                        && "slave".equals(r.get("flags"))
                        && "ok".equals(r.get("master-link-status"))
                        && Integer.toString(primaryPort).equals(r.get("master-port"))));
    }

    private static HostAndPort namedBy(RedisNode sentinel) {
        try {
            List<String> addr = sentinel.query(j -> j.sentinelGetMasterAddrByName(MASTER_NAME));
            return addr == null || addr.size() != 2 ? null : new HostAndPort(addr.get(0), Integer.parseInt(addr.get(1)));
        } catch (JedisException e) {
            return null;
        }
    }

    /** Kills every process and deletes their directories. */
    @Override
    public void close() {
        List<RedisNode> all = new ArrayList<>(sentinels);
        all.addAll(dataNodes.values());
        for (RedisNode node : all) {
            node.close();
        }
        RedisNode.deleteRecursively(root);
    }
}
