package dev.goingaway.stream;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reads of a stream's history for resuming connections, coalesced: after a rollover thousands of
 * clients of the same rooms resume within one reconnect spread, and each room's history should be
 * read once per burst, not once per client. The first request for a stream opens a batch and the
 * read starts {@code windowMillis} later; every request for that stream until then joins it. The
 * read starts from the lowest offset asked for, and each request gets the entries after its own.
 *
 * <p>Why this never skips a message: a request is made after its caller began buffering the
 * stream's live messages, and the read it joins starts later still, so anything appended before
 * the read is in the history it returns, and anything after is in the caller's buffer
 * ({@link Catchup}). A request never joins a read that has already started.
 */
public final class CoalescedReads {

    /** What a caller asks for. */
    private record Ask(long afterOffset, CompletableFuture<Range> answer) {
    }

    private final StreamStore store;
    private final ScheduledExecutorService timer;
    private final Executor readers;
    private final long windowMillis;
    /** Batches not started yet, by stream; guarded by this. */
    private final Map<String, List<Ask>> open = new HashMap<>();

    /**
     * @param timer        schedules each batch's read
     * @param readers      runs the reads (they block on the store)
     * @param windowMillis how long a batch stays open for more requests
     */
    public CoalescedReads(StreamStore store, ScheduledExecutorService timer, Executor readers, long windowMillis) {
        this.store = store;
        this.timer = timer;
        this.readers = readers;
        this.windowMillis = windowMillis;
    }

    /** The stream's entries after {@code afterOffset}, its epoch and top, from a read that starts after this call. */
    public CompletableFuture<Range> after(String stream, long afterOffset) {
        CompletableFuture<Range> answer = new CompletableFuture<>();
        boolean first;
        synchronized (this) {
            List<Ask> batch = open.get(stream);
            first = batch == null;
            if (first) {
                batch = new ArrayList<>();
                open.put(stream, batch);
            }
            batch.add(new Ask(afterOffset, answer));
        }
        if (first) {
            timer.schedule(() -> readers.execute(() -> read(stream)), windowMillis, TimeUnit.MILLISECONDS);
        }
        return answer;
    }

    private void read(String stream) {
        List<Ask> batch;
        synchronized (this) {
            batch = open.remove(stream); // from here on, requests open a new batch
        }
        long from = Long.MAX_VALUE;
        for (Ask ask : batch) {
            from = Math.min(from, ask.afterOffset());
        }
        Range range;
        try {
            range = store.after(stream, from);
        } catch (StreamException | RuntimeException e) {
            batch.forEach(ask -> ask.answer().completeExceptionally(e));
            return;
        }
        for (Ask ask : batch) {
            ask.answer().complete(range.after(ask.afterOffset()));
        }
    }
}
