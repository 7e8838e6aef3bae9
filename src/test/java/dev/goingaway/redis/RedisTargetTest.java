package dev.goingaway.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import redis.clients.jedis.HostAndPort;

class RedisTargetTest {

    private static final Duration T = Duration.ofMillis(500);

    @Test
    void readsNodeListsTheWayOperatorsWriteThem() {
        RedisTarget s = RedisTarget.sentinel(" sentinel-0.redis:26379, sentinel-1.redis ,[::1]:26380,", "mymaster",
                null, "pw", null, null, false, T);
        assertEquals(List.of(new HostAndPort("sentinel-0.redis", 26379), new HostAndPort("sentinel-1.redis", 26379),
                new HostAndPort("::1", 26380)), s.nodes());
        assertEquals(RedisTarget.Mode.SENTINEL, s.mode());
        RedisTarget c = RedisTarget.cluster("10.0.0.1:7000,10.0.0.1:7000,10.0.0.2", null, null, true, T);
        assertEquals(List.of(new HostAndPort("10.0.0.1", 7000), new HostAndPort("10.0.0.2", 6379)), c.nodes(),
                "duplicates once, the default port where none is written");
    }

    @Test
    void refusesWhatIsNotANodeList() {
        assertThrows(IllegalArgumentException.class, () -> RedisTarget.cluster(" , ", null, null, false, T), "no node");
        assertThrows(IllegalArgumentException.class, () -> RedisTarget.cluster("h:70000", null, null, false, T), "port");
        assertThrows(IllegalArgumentException.class, () -> RedisTarget.cluster("h:x", null, null, false, T), "port");
        assertThrows(IllegalArgumentException.class, () -> RedisTarget.cluster("::1:7000", null, null, false, T), "IPv6 without brackets");
        assertThrows(IllegalArgumentException.class, () -> RedisTarget.cluster("redis://h:1", null, null, false, T), "a URL");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RedisTarget.sentinel("h:26379", " ", null, null, null, null, false, T));
        assertTrue(e.getMessage().contains("REDIS_SENTINEL_MASTER"), e.getMessage());
    }

    @Test
    void describesWithoutPasswords() {
        RedisTarget s = RedisTarget.sentinel("a:1,b:2", "goingaway", "app", "hunter2", null, "sentinel-secret", true, T);
        assertEquals("sentinel goingaway via a:1,b:2 (TLS)", s.describe());
        assertFalse(s.toString().contains("hunter2"));
        RedisTarget one = RedisTarget.single(RedisUrl.parse("redis://:hunter2@h:6380/2"), T);
        assertEquals("redis://***@h:6380/2", one.describe());
        assertEquals("cluster via h:1", RedisTarget.cluster("h:1", null, "hunter2", false, T).describe());
    }

    @Test
    void eachConnectionCarriesTheDataNodesCredentialsAndTimeout() {
        RedisTarget c = RedisTarget.cluster("h:1", "app", "pw", true, T);
        var config = c.clientConfig("goingaway-test");
        assertEquals("app", config.getUser());
        assertEquals("pw", config.getPassword());
        assertTrue(config.isSsl());
        assertEquals(500, config.getSocketTimeoutMillis());
        assertEquals(500, config.getConnectionTimeoutMillis());
        assertEquals("goingaway-test", config.getClientName());
    }
}
