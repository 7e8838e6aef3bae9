package dev.goingaway.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RedisUrlTest {

    @Test
    void parsesTheDesignFormWithPasswordAndDatabase() {
        RedisUrl u = RedisUrl.parse("redis://:s3cr%40t@redis.internal:6380/2");
        assertEquals("redis.internal", u.host(), "host");
        assertEquals(6380, u.port(), "port");
        assertNull(u.user(), "no user");
        assertEquals("s3cr@t", u.password(), "password, URL-decoded");
        assertEquals(2, u.database(), "db");
        assertFalse(u.tls(), "plain");
    }

    @Test
    void defaultsPortAndDatabaseAndSupportsAclUsersAndTls() {
        RedisUrl u = RedisUrl.parse("rediss://app:pw@cache");
        assertEquals(6379, u.port(), "default port");
        assertEquals(0, u.database(), "default db");
        assertEquals("app", u.user(), "ACL user");
        assertTrue(u.tls(), "rediss is TLS");
    }

    @Test
    void neverPrintsThePassword() {
        String shown = RedisUrl.parse("redis://:hunter2@h:1/0").toString();
        assertFalse(shown.contains("hunter2"), "password hidden: " + shown);
        assertEquals("redis://***@h:1/0", shown, "shape kept for logs");
    }

    @Test
    void refusesWhatIsNotARedisUrl() {
        assertThrows(IllegalArgumentException.class, () -> RedisUrl.parse("http://h:1"), "wrong scheme");
        assertThrows(IllegalArgumentException.class, () -> RedisUrl.parse("redis://h:1/x"), "db not a number");
        assertThrows(IllegalArgumentException.class, () -> RedisUrl.parse("redis:///0"), "no host");
    }
}
