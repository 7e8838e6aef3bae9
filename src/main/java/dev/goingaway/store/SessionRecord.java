package dev.goingaway.store;

import java.util.List;

/**
 * What survives a session's connection: its message total and the client ids of its most
 * recent messages, so a message re-sent after a reconnect is recognised and not counted twice.
 */
public record SessionRecord(String sessionId, long total, List<String> recentIds) {

    public SessionRecord {
        recentIds = List.copyOf(recentIds);
    }
}
