package dev.goingaway.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.goingaway.redis.LazyClient;
import dev.goingaway.redis.RedisTarget;
import dev.goingaway.testing.RedisClusterSetup;

import redis.clients.jedis.HostAndPort;

/**
 * The stream scripts on a real three-primary Redis Cluster: every script touches one slot (no
 * CROSSSLOT), a batch spans the nodes, and a batch that reaches only some nodes keeps what it
 * appended ({@link PartialAppend}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterStreamStoreTest {

    private static RedisClusterSetup cluster;
    private static RedisStreamStore store;

    @BeforeAll
    static void start() throws Exception {
        cluster = RedisClusterSetup.start(3, 0);
        store = new RedisStreamStore(new LazyClient(RedisTarget.cluster(cluster.seeds(), null, null, false,
                Duration.ofMillis(500)), "goingaway-test", 4), 5, Duration.ofMinutes(10));
    }

    @AfterAll
    static void stop() {
        store.close();
        cluster.close();
    }

    private static Framing message(String text) {
        return new Framing("{\"type\":\"message\",\"text\":\"" + text + "\",\"offset\":", "}");
    }

    /** Rooms whose streams live on at least two different primaries, 12 of them. */
    private static List<String> roomsOnEveryPrimary() {
        List<String> rooms = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            rooms.add("room:spread" + i);
        }
        long primaries = rooms.stream().map(r -> cluster.primaryOf(RedisStreamStore.metaKey(r))).distinct().count();
        assertEquals(3, primaries, "the rooms spread over all three primaries");
        return rooms;
    }

    @Test
    @Order(1)
    void aBatchSpansTheNodesAndEachStreamKeepsItsOwnNumbering() throws Exception {
        List<String> rooms = roomsOnEveryPrimary();
        List<StreamStore.Append> batch = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (String r : rooms) {
                batch.add(new StreamStore.Append(r, message(r + "-" + round), StreamStore.Publication.NONE));
            }
        }
        List<StreamStore.Appended> done = store.appendAll(batch);
        for (int i = 0; i < batch.size(); i++) {
            assertEquals(i / rooms.size() + 1, done.get(i).offset(), "offsets count per stream, in batch order");
        }
        for (String r : rooms) {
            Range all = store.after(r, 0);
            assertEquals(3, all.entries().size(), r);
            assertEquals(done.get(rooms.indexOf(r)).epoch(), all.epoch(), r + ": read and append agree on the epoch");
        }
    }

    @Test
    @Order(2) // kills a primary
    void aBatchThatReachesOnlySomeNodesKeepsWhatItAppended() throws Exception {
        List<String> rooms = roomsOnEveryPrimary();
        store.appendAll(rooms.stream().map(r -> new StreamStore.Append(r, message("before"), StreamStore.Publication.NONE)).toList());
        List<HostAndPort> owners = rooms.stream().map(r -> cluster.primaryOf(RedisStreamStore.metaKey(r))).toList();
        String victim = rooms.get(0);
        HostAndPort dead = owners.get(0);
        cluster.killPrimaryOf(RedisStreamStore.metaKey(victim)); // no replica: its slots stay unserved

        List<StreamStore.Append> batch = rooms.stream()
                .map(r -> new StreamStore.Append(r, message("after"), StreamStore.Publication.NONE)).toList();
        PartialAppend partial = assertThrows(PartialAppend.class, () -> store.appendAll(batch));
        int made = 0;
        for (int i = 0; i < rooms.size(); i++) {
            boolean onDead = owners.get(i).equals(dead);
            StreamStore.Appended a = partial.done().get(i);
            if (onDead) {
                assertNull(a, rooms.get(i) + " is on the dead node: not appended");
            } else {
                assertNotNull(a, rooms.get(i) + " is on a live node: appended");
                made++;
            }
        }
        assertTrue(made > 0 && made < rooms.size(), "some appended, some not: " + made);
    }
}
