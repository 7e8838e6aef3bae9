package dev.goingaway.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Appends off the caller's thread, in batches: one thread takes what is queued (up to
 * {@value #BATCH} at a time) and appends it in one round trip ({@link StreamStore#appendAll}),
 * then completes each caller's future in queue order, on this thread. So a connection's reading
 * thread never waits on Redis, a busy instance appends hundreds of messages per round trip, and
 * this instance's messages get their offsets, and are delivered here, in the order they were
 * queued.
 */
public final class Appender implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Appender.class.getName());

    /** Most appends in one round trip. */
    static final int BATCH = 256;

    private record Pending(StreamStore.Append append, CompletableFuture<StreamStore.Appended> done) {
    }

    private final Function<List<StreamStore.Append>, List<StreamStore.Appended>> store;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    /** {@code store} appends a batch and never throws (a {@link FallbackStreamStore}). */
    public Appender(Function<List<StreamStore.Append>, List<StreamStore.Appended>> store, ThreadFactory threads) {
        this.store = store;
        this.thread = threads.newThread(this::run);
        this.thread.start();
    }

    /** Queues an append; the future completes on the appender's thread, in queue order. */
    public CompletableFuture<StreamStore.Appended> append(StreamStore.Append append) {
        CompletableFuture<StreamStore.Appended> done = new CompletableFuture<>();
        if (closed) {
            done.completeExceptionally(new IllegalStateException("appender closed"));
            return done;
        }
        queue.add(new Pending(append, done));
        return done;
    }

    /** Appends waiting for their round trip. */
    public int queued() {
        return queue.size();
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(BATCH);
        List<StreamStore.Append> appends = new ArrayList<>(BATCH);
        while (!closed || !queue.isEmpty()) {
            Pending first;
            try {
                first = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                break;
            }
            if (first == null) {
                continue;
            }
            batch.add(first);
            queue.drainTo(batch, BATCH - 1);
            batch.forEach(p -> appends.add(p.append()));
            List<StreamStore.Appended> results;
            try {
                results = store.apply(appends);
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "append of " + batch.size() + " messages failed", e);
                batch.forEach(p -> p.done().completeExceptionally(e));
                batch.clear();
                appends.clear();
                continue;
            }
            for (int i = 0; i < batch.size(); i++) {
                try {
                    batch.get(i).done().complete(results.get(i));
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "after an append", e); // a caller's continuation failed; the others go on
                }
            }
            batch.clear();
            appends.clear();
        }
        Pending left;
        while ((left = queue.poll()) != null) {
            left.done().completeExceptionally(new IllegalStateException("appender closed"));
        }
    }

    /** Appends what is queued (waiting at most {@code waitMillis}), then stops. */
    public void close(long waitMillis) {
        closed = true;
        try {
            thread.join(waitMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.interrupt();
    }

    @Override
    public void close() {
        close(1_000);
    }
}
