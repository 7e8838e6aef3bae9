package dev.goingaway.store;

import java.time.Duration;
import java.util.Collection;
import java.util.Optional;

/**
 * Durable session state shared by all instances. Every call is bounded in time by the
 * implementation (Redis: {@code REDIS_TIMEOUT}) and fails with {@link StoreException}
 * instead of blocking.
 */
public interface SessionStore extends AutoCloseable {

    /** The stored record of a session, or empty if the store has never seen it (or it expired). */
    Optional<SessionRecord> load(String sessionId) throws StoreException;

    /** Writes all records in one round trip, each kept for {@code ttl}. */
    void saveAll(Collection<SessionRecord> records, Duration ttl) throws StoreException;

    /** Keeps the report of this instance's last shutdown, for operators to read after it is gone. */
    void saveShutdownReport(String instance, String json, Duration ttl) throws StoreException;

    /** The last shutdown report an instance saved, if any. */
    Optional<String> shutdownReport(String instance) throws StoreException;

    /**
     * Round trip to the store; throws if it does not answer in time. Returns who answered: the
     * replication id of each primary, which changes when a replica is promoted or a primary
     * restarts, and with it possibly the writes it had not passed on yet.
     */
    String ping() throws StoreException;

    /** Where the store is, without credentials, for logs and health data. */
    String describe();

    @Override
    void close();
}
