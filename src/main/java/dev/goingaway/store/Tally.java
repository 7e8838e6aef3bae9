package dev.goingaway.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One session's message count as this instance knows it, and the client ids it has counted
 * lately. Normally the count starts from the stored total ({@code base}). If the store could
 * not be read when the session resumed, the base is unknown: the tally counts from zero and
 * {@link SessionTotals} adds the stored total as soon as the store answers, so an outage never
 * overwrites a larger stored total with a smaller one.
 */
public final class Tally {

    /** How many client ids are remembered for de-duplication of re-sent messages. */
    public static final int RECENT_IDS = 64;

    private final String sessionId;
    private long base;
    private boolean baseKnown;
    private long counted;
    private final Deque<String> recent = new ArrayDeque<>();
    /** Bumped by every change; {@code saved} is the version the store last confirmed. */
    private long version;
    private long saved = -1;
    private long savedAtNanos;

    private Tally(String sessionId, long base, boolean baseKnown, List<String> recentIds) {
        this.sessionId = sessionId;
        this.base = base;
        this.baseKnown = baseKnown;
        recentIds.forEach(this::remember);
    }

    /** A brand-new session, or one the store knows. */
    public static Tally known(String sessionId, long total, List<String> recentIds) {
        return new Tally(sessionId, total, true, recentIds);
    }

    /** A resumed session whose stored total could not be read. */
    public static Tally unknownBase(String sessionId) {
        return new Tally(sessionId, 0, false, List.of());
    }

    public String sessionId() {
        return sessionId;
    }

    /** The total to show the client. */
    public synchronized long total() {
        return base + counted;
    }

    public synchronized boolean baseKnown() {
        return baseKnown;
    }

    /** Whether this client id was counted recently (a re-send after reconnect, say). */
    public synchronized boolean seen(String idKey) {
        return idKey != null && recent.contains(idKey);
    }

    /** Counts one message; returns the new total. */
    public synchronized long count(String idKey) {
        counted++;
        version++;
        if (idKey != null) {
            remember(idKey);
        }
        return base + counted;
    }

    /** Adds the stored total once it is known. */
    public synchronized void reconcile(SessionRecord stored) {
        if (baseKnown) {
            return;
        }
        version++;
        if (stored != null) {
            base = stored.total();
            List<String> mine = new ArrayList<>(recent);
            Set<String> storedIds = new HashSet<>(stored.recentIds());
            recent.clear();
            stored.recentIds().forEach(this::remember);
            for (String id : mine) {
                if (storedIds.contains(id)) {
                    // re-sent while the stored ids were unknown, so counted again here; the
                    // stored total already has it
                    counted--;
                } else {
                    remember(id);
                }
            }
        }
        baseKnown = true;
    }

    /** What to write to the store; only meaningful once the base is known. */
    public synchronized SessionRecord snapshot() {
        return new SessionRecord(sessionId, base + counted, new ArrayList<>(recent));
    }

    /** A snapshot and the version it shows, taken together. */
    public record Write(Tally tally, SessionRecord record, long version) {
    }

    /** What to write now, with the version to confirm once the store has it. */
    public synchronized Write write() {
        return new Write(this, snapshot(), version);
    }

    /** The store has {@code write}; anything counted since it was taken is still unsaved. */
    public synchronized void saved(Write write) {
        saved = Math.max(saved, write.version());
        savedAtNanos = System.nanoTime();
    }

    /**
     * Whether a write is due: the store lacks something this tally knows (always, before the
     * first write), or the last write is older than {@code freshFor} (its expiry runs from it).
     */
    public synchronized boolean unsaved(java.time.Duration freshFor) {
        return saved < version || !baseKnown || System.nanoTime() - savedAtNanos > freshFor.toNanos();
    }

    private void remember(String idKey) {
        if (recent.size() == RECENT_IDS) {
            recent.removeFirst();
        }
        recent.addLast(idKey);
    }
}
