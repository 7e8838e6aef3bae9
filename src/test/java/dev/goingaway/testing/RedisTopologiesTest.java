package dev.goingaway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClusterClient;

/**
 * The Redis topologies the tests build ({@link RedisSentinelSetup}, {@link RedisClusterSetup})
 * are real ones: killing a primary with SIGKILL makes its replica the primary, and what the
 * replica had acknowledged is still there.
 */
class RedisTopologiesTest {

    private static final Duration FAILOVER = Duration.ofSeconds(20);

    @Test
    void sentinelsPromoteTheReplicaOfAKilledPrimaryAndTakeTheOldOneBackAsAReplica() throws Exception {
        try (RedisSentinelSetup sentinel = RedisSentinelSetup.start()) {
            assertEquals(3, sentinel.sentinelNodes().split(",").length, "three sentinels");
            HostAndPort old = sentinel.primary();
            try (Jedis primary = sentinel.primaryClient()) {
                primary.set("topology:sentinel", "written before the kill");
                assertEquals(1, primary.waitReplicas(1, 5000), "the replica acknowledged the write before the kill");
            }

            long killedAt = System.nanoTime();
            int killed = sentinel.killPrimary();
            HostAndPort promoted = sentinel.awaitFailover(old, FAILOVER);
            System.out.printf("sentinel failover: %d ms from SIGKILL of %s to every sentinel naming %s%n",
                    (System.nanoTime() - killedAt) / 1_000_000, old, promoted);

            assertEquals(old.getPort(), killed, "the node killed is the one the sentinels named");
            assertNotEquals(old, promoted, "a different node is the primary");
            assertEquals(promoted, sentinel.primary(), "the sentinels name the promoted node");
            try (Jedis primary = sentinel.primaryClient()) {
                assertEquals("written before the kill", primary.get("topology:sentinel"), "the write survived the failover");
            }

            sentinel.restartAsReplica(killed);
            try (Jedis back = new Jedis(old.getHost(), old.getPort(), 2000)) {
                assertEquals("slave", String.valueOf(back.role().get(0)), "the old primary is back as a replica");
                assertEquals("written before the kill", back.get("topology:sentinel"), "it synced from the new primary");
            }
            assertEquals(promoted, sentinel.primary(), "bringing the old primary back changes no primary");
        }
    }

    @Test
    void clusterPromotesTheReplicaOfAKilledPrimaryAndTheClientFollows() throws Exception {
        List<String> keys = IntStream.range(0, 300).mapToObj(i -> "topology:cluster:" + i).toList();
        try (RedisClusterSetup cluster = RedisClusterSetup.start(3, 1);
             RedisClusterClient client = RedisClusterClient.builder().nodes(seeds(cluster)).build()) {
            keys.forEach(k -> client.set(k, "value of " + k));
            Set<HostAndPort> holding = keys.stream().map(cluster::primaryOf).collect(Collectors.toSet());
            assertEquals(new HashSet<>(cluster.primaries()), holding, "the keys are spread over all three primaries");

            String key = keys.get(0);
            HostAndPort old = cluster.primaryOf(key);
            try (Jedis primary = new Jedis(old.getHost(), old.getPort(), 2000)) {
                // WAIT covers everything before this connection's own last write in the primary's
                // stream, so also the client's earlier writes to this primary.
                primary.set(key, "value of " + key);
                assertEquals(1, primary.waitReplicas(1, 5000), "the replica acknowledged the writes before the kill");
            }

            long killedAt = System.nanoTime();
            int killed = cluster.killPrimaryOf(key);
            HostAndPort promoted = cluster.awaitFailoverOf(key, old, FAILOVER);
            System.out.printf("cluster failover: %d ms from SIGKILL of %s to %s serving the slot, cluster ok%n",
                    (System.nanoTime() - killedAt) / 1_000_000, old, promoted);

            assertEquals(old.getPort(), killed, "the node killed is the one that served the key");
            assertNotEquals(old, promoted, "a different node serves the key");
            assertEquals(promoted, cluster.primaryOf(key), "the cluster names the promoted node");
            assertEquals(3, cluster.primaries().size(), "three primaries again");
            for (String k : keys) {
                assertEquals("value of " + k, client.get(k), "the client reads " + k + " after the failover");
            }
        }
    }

    @Test
    void clusterWithoutReplicasServesEverySlot() throws Exception {
        try (RedisClusterSetup cluster = RedisClusterSetup.start(3, 0);
             RedisClusterClient client = RedisClusterClient.builder().nodes(seeds(cluster)).build()) {
            assertEquals(3, cluster.seeds().split(",").length, "three nodes, no replicas");
            assertEquals(3, cluster.primaries().size(), "three primaries");
            Set<HostAndPort> holding = new HashSet<>();
            for (int i = 0; i < 100; i++) {
                String key = "topology:plain:" + i;
                client.set(key, Integer.toString(i));
                assertEquals(Integer.toString(i), client.get(key), "read back " + key);
                holding.add(cluster.primaryOf(key));
            }
            assertEquals(new HashSet<>(cluster.primaries()), holding, "the keys are spread over all three primaries");
        }
    }

    private static Set<HostAndPort> seeds(RedisClusterSetup cluster) {
        return Arrays.stream(cluster.seeds().split(",")).map(HostAndPort::from).collect(Collectors.toSet());
    }
}
