package dev.goingaway.stream;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Streams in this JVM, for a single instance without {@code REDIS_URL}: the same numbering and
 * window as {@link RedisStreamStore}, nothing published (there is no other instance), and a new
 * epoch for every stream after a restart (or once a quiet stream's history has expired).
 */
public final class MemoryStreamStore implements StreamStore {

    private final int historySize;
    private final long ttlNanos;
    private final String epochPrefix;
    private final LongSupplier clock;
    private final Map<String, Stream> streams = new ConcurrentHashMap<>();

    public MemoryStreamStore(int historySize, Duration historyTtl) {
        this(historySize, historyTtl, System::nanoTime, "");
    }

    /**
     * With a clock of its own ({@link System#nanoTime()} units) and a prefix for its epochs
     * ({@link FallbackStreamStore} marks its local epochs so that they are never mistaken for
     * the shared store's).
     */
    MemoryStreamStore(int historySize, Duration historyTtl, LongSupplier clock, String epochPrefix) {
        if (historySize < 1) {
            throw new IllegalArgumentException("HISTORY_SIZE must be at least 1, not " + historySize);
        }
        this.historySize = historySize;
        this.ttlNanos = historyTtl.toNanos();
        this.clock = clock;
        this.epochPrefix = epochPrefix;
    }

    private static final class Stream {
        final String epoch;
        final ArrayDeque<Entry> history = new ArrayDeque<>();
        long top;
        long lastWrite;

        Stream(String epoch, long now) {
            this.epoch = epoch;
            this.lastWrite = now;
        }
    }

    private Stream liveOrNew(String name, long now) {
        Stream s = live(name, now);
        if (s == null) {
            s = new Stream(epochPrefix + RedisStreamStore.newEpoch(), now);
            streams.put(name, s);
        }
        return s;
    }

    /** The stream as it stands now; a stream quiet for longer than the TTL is gone, as in Redis. */
    private Stream live(String name, long now) {
        Stream s = streams.get(name);
        if (s != null && now - s.lastWrite > ttlNanos) {
            streams.remove(name, s);
            return null;
        }
        return s;
    }

    @Override
    public Appended append(String stream, Framing frame, Publication publication) {
        long now = clock.getAsLong();
        synchronized (this) {
            Stream s = liveOrNew(stream, now);
            long offset = ++s.top;
            String text = frame.with(offset);
            s.history.addLast(new Entry(offset, text));
            while (s.history.size() > historySize) {
                s.history.removeFirst();
            }
            s.lastWrite = now;
            return new Appended(s.epoch, offset, text);
        }
    }

    @Override
    public synchronized Range after(String stream, long afterOffset) {
        Stream s = liveOrNew(stream, clock.getAsLong());
        List<Entry> entries = new ArrayList<>();
        for (Entry e : s.history) {
            if (e.offset() > afterOffset) {
                entries.add(e);
            }
        }
        return new Range(s.epoch, s.top, entries);
    }

    @Override
    public void close() {
        streams.clear();
    }
}
