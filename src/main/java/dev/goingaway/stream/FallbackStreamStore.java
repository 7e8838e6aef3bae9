package dev.goingaway.stream;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The shared stream store, and this instance's own numbering while it cannot be reached
 * (DESIGN.md: "While the store is unreachable an instance keeps chatting: it numbers its own
 * messages in an epoch of its own"). A call that fails on the shared store is answered from
 * memory at once, in a local epoch (its name begins with {@value #LOCAL_PREFIX}, which the shared
 * store's never do), so chat never waits on a store that is down. Once failed, the shared store is
 * tried again by one call every {@code retry}; the rest go to memory meanwhile, so a frozen
 * Redis costs one call's timeout per retry, not one per message. When it answers, streams
 * continue in its epochs.
 *
 * <p>A local epoch is this instance's only: a client that resumes with a position in it on
 * another instance is told {@code recovered:false}; on this instance its history is read from
 * memory ({@link #after(String, Position)}).
 */
public final class FallbackStreamStore implements StreamStore {

    private static final Logger LOG = Logger.getLogger(FallbackStreamStore.class.getName());

    /** How every local epoch begins; the shared store's epochs are lowercase hex. */
    public static final String LOCAL_PREFIX = "L";

    /** What readiness, metrics and logs show. */
    public record Status(boolean shared, boolean up, String lastError, Instant since) {
    }

    private final StreamStore shared;
    private final MemoryStreamStore local;
    private final long retryNanos;
    private final LongSupplier clock;
    private final Object lock = new Object();
    private volatile boolean up = true;
    private volatile String lastError;
    private volatile Instant since = Instant.now();
    /** While down: when the next call may try the shared store; guarded by {@link #lock}. */
    private long retryAt;

    /**
     * @param shared the store every instance shares, or null for a single instance (memory only:
     *               then every epoch is local, and a restart starts new ones)
     */
    public FallbackStreamStore(StreamStore shared, int historySize, Duration historyTtl, Duration retry) {
        this(shared, historySize, historyTtl, retry, System::nanoTime);
    }

    FallbackStreamStore(StreamStore shared, int historySize, Duration historyTtl, Duration retry, LongSupplier clock) {
        this.shared = shared;
        this.local = new MemoryStreamStore(historySize, historyTtl, clock, LOCAL_PREFIX);
        this.retryNanos = retry.toNanos();
        this.clock = clock;
    }

    /** Whether a position's epoch is one that an instance made up while the shared store was away. */
    public static boolean isLocal(String epoch) {
        return epoch != null && epoch.startsWith(LOCAL_PREFIX);
    }

    public Status status() {
        return new Status(shared != null, shared == null || up, lastError, since);
    }

    @Override
    public Appended append(String stream, Framing frame, Publication publication) {
        if (tryShared()) {
            try {
                Appended a = shared.append(stream, frame, publication);
                answered();
                return a;
            } catch (StreamException e) {
                failed(e);
            } catch (RuntimeException e) {
                failed(unexpected(e)); // a client library's own fault is the store's fault, not the chat's
            }
        }
        return local.append(stream, frame, Publication.NONE);
    }

    @Override
    public List<Appended> appendAll(List<Append> batch) {
        List<Appended> done = null;
        if (tryShared()) {
            try {
                List<Appended> a = shared.appendAll(batch);
                answered();
                return a;
            } catch (PartialAppend e) {
                done = e.done();
                failed(e);
            } catch (StreamException e) {
                failed(e);
            } catch (RuntimeException e) {
                failed(unexpected(e)); // a client library's own fault is the store's fault, not the chat's
            }
        }
        List<Appended> out = new java.util.ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Appended made = done == null ? null : done.get(i);
            Append a = batch.get(i);
            out.add(made != null ? made : local.append(a.stream(), a.frame(), Publication.NONE));
        }
        return out;
    }

    @Override
    public Range after(String stream, long afterOffset) {
        if (tryShared()) {
            try {
                Range r = shared.after(stream, afterOffset);
                answered();
                return r;
            } catch (StreamException e) {
                failed(e);
            } catch (RuntimeException e) {
                failed(unexpected(e)); // a client library's own fault is the store's fault, not the chat's
            }
        }
        return local.after(stream, afterOffset);
    }

    /**
     * The history after a client's position: from memory when the position is in a local epoch
     * (only this instance can have it), else as {@link #after(String, long)}.
     */
    public Range after(String stream, Position since) {
        return isLocal(since.epoch()) ? local.after(stream, since.offset()) : after(stream, since.offset());
    }

    /**
     * The history after an instance's own place in a stream, to fill a hole in it: from memory
     * for a local epoch (or without a shared store), else from the shared store only; null when
     * that cannot be read (a hole is not filled from another numbering).
     */
    public Range sharedAfter(String stream, Position position) {
        if (shared == null || isLocal(position.epoch())) {
            return local.after(stream, position.offset());
        }
        if (!tryShared()) {
            return null;
        }
        try {
            Range r = shared.after(stream, position.offset());
            answered();
            return r;
        } catch (StreamException e) {
            failed(e);
            return null;
        } catch (RuntimeException e) {
            failed(unexpected(e));
            return null;
        }
    }

    /**
     * Redis answers again (the cluster bus resubscribed): the next call tries the shared store at
     * once, on new connections (the old ones may lead to a Redis that has restarted since, even if
     * no call here noticed it was gone).
     */
    public void retryNow() {
        synchronized (lock) {
            retryAt = clock.getAsLong();
        }
        if (shared != null) {
            shared.reconnect();
        }
    }

    /** Whether this call may go to the shared store: it is up, or a retry is due (taken by one caller). */
    private boolean tryShared() {
        if (shared == null) {
            return false;
        }
        if (up) {
            return true;
        }
        synchronized (lock) {
            long now = clock.getAsLong();
            if (now - retryAt < 0) {
                return false;
            }
            retryAt = now + retryNanos;
        }
        shared.reconnect();
        return true;
    }

    private void answered() {
        if (!up) {
            synchronized (lock) {
                if (up) {
                    return;
                }
                up = true;
                since = Instant.now();
            }
            LOG.log(Level.INFO, "stream_store_up: streams continue in the shared store''s epochs");
        }
    }

    private static StreamException unexpected(RuntimeException e) {
        return new StreamException(e.toString(), e);
    }

    private void failed(StreamException e) {
        lastError = e.getMessage();
        boolean wasUp;
        synchronized (lock) {
            wasUp = up;
            up = false;
            retryAt = clock.getAsLong() + retryNanos;
            if (wasUp) {
                since = Instant.now();
            }
        }
        if (wasUp) {
            LOG.log(Level.WARNING, "stream_store_down: {0}; this instance numbers its messages in local epochs"
                    + " (a resume elsewhere says recovered:false) and tries the store again every {1} ms",
                    new Object[] {e.getMessage(), TimeUnit.NANOSECONDS.toMillis(retryNanos)});
        }
    }

    @Override
    public void close() {
        local.close();
        if (shared != null) {
            shared.close();
        }
    }
}
