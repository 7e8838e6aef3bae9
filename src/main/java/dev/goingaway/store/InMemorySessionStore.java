package dev.goingaway.store;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The store of a single instance with no Redis: totals survive reconnects to this instance but
 * not a restart, and nothing is shared. Entries expire like Redis keys do.
 */
public class InMemorySessionStore implements SessionStore {

    private record Entry<T>(T value, long expiresAtNanos) {
        boolean expired(long now) {
            return now - expiresAtNanos > 0;
        }
    }

    private final Map<String, Entry<SessionRecord>> sessions = new ConcurrentHashMap<>();
    private final Map<String, Entry<String>> reports = new ConcurrentHashMap<>();

    @Override
    public Optional<SessionRecord> load(String sessionId) {
        long now = System.nanoTime();
        Entry<SessionRecord> e = sessions.get(sessionId);
        if (e == null || e.expired(now)) {
            if (e != null) {
                sessions.remove(sessionId, e);
            }
            return Optional.empty();
        }
        return Optional.of(e.value());
    }

    @Override
    public void saveAll(Collection<SessionRecord> records, Duration ttl) {
        long expires = System.nanoTime() + ttl.toNanos();
        for (SessionRecord r : records) {
            sessions.put(r.sessionId(), new Entry<>(r, expires));
        }
        if (sessions.size() > 100_000) {
            long now = System.nanoTime();
            sessions.values().removeIf(e -> e.expired(now));
        }
    }

    @Override
    public void saveShutdownReport(String instance, String json, Duration ttl) {
        reports.put(instance, new Entry<>(json, System.nanoTime() + ttl.toNanos()));
    }

    @Override
    public Optional<String> shutdownReport(String instance) {
        Entry<String> e = reports.get(instance);
        return e == null || e.expired(System.nanoTime()) ? Optional.empty() : Optional.of(e.value());
    }

    @Override
    public String ping() {
        return "memory";
    }

    @Override
    public String describe() {
        return "in-memory (this instance only)";
    }

    @Override
    public void close() {
        sessions.clear();
    }
}
