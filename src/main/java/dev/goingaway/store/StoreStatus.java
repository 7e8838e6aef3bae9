package dev.goingaway.store;

import java.time.Instant;

/**
 * The store as seen by the last call this instance made: readiness data, logs and metrics
 * read it instead of calling Redis themselves.
 */
public record StoreStatus(String store, boolean reachable, String lastError, Instant since, int pendingWrites) {
}
