package dev.goingaway.chat;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;

import dev.goingaway.store.Tally;

/**
 * Every open connection of this instance, by socket, by room, and the tally of each chat
 * session (shared when one session is open in two tabs). Connections are removed on close
 * and on error; a removal of a connection that is already gone is harmless.
 */
@ApplicationScoped
public class ConnectionRegistry {

    private static final class Shared {
        final Tally tally;
        int connections;

        Shared(Tally tally) {
            this.tally = tally;
        }
    }

    private final Map<String, ChatClient> byConnection = new ConcurrentHashMap<>();
    private final Map<String, Set<ChatClient>> byRoom = new ConcurrentHashMap<>();
    private final Map<String, Shared> tallies = new ConcurrentHashMap<>();

    /**
     * The tally for a session id, loaded with {@code loader} if no connection of this instance
     * has it yet. Each call must be paired with {@link #remove} (or {@link #release}).
     */
    public Tally acquireTally(String sessionId, Function<String, Tally> loader) {
        Shared shared = tallies.compute(sessionId, (id, s) -> {
            Shared result = s != null ? s : new Shared(loader.apply(id));
            result.connections++;
            return result;
        });
        return shared.tally;
    }

    /** Gives back a tally acquired for a connection that never got registered. */
    public void release(String sessionId) {
        tallies.computeIfPresent(sessionId, (id, s) -> --s.connections == 0 ? null : s);
    }

    public void add(ChatClient client) {
        byConnection.put(client.connectionId(), client);
        byRoom.computeIfAbsent(client.room(), r -> ConcurrentHashMap.newKeySet()).add(client);
    }

    /** Removes a connection; returns it, or null if it was not (or no longer) registered. */
    public ChatClient remove(String connectionId) {
        ChatClient client = byConnection.remove(connectionId);
        if (client == null) {
            return null;
        }
        byRoom.computeIfPresent(client.room(), (r, members) -> {
            members.remove(client);
            return members.isEmpty() ? null : members;
        });
        release(client.sessionId());
        return client;
    }

    public ChatClient get(String connectionId) {
        return byConnection.get(connectionId);
    }

    /** The connections in a room right now (a live view; iterate, do not keep). */
    public Collection<ChatClient> inRoom(String room) {
        Set<ChatClient> members = byRoom.get(room);
        return members == null ? Collections.emptySet() : members;
    }

    /** Every open connection (a live view). */
    public Collection<ChatClient> all() {
        return byConnection.values();
    }

    public int size() {
        return byConnection.size();
    }

    public int rooms() {
        return byRoom.size();
    }
}
