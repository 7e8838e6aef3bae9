package dev.goingaway.chat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.Tag;
import org.eclipse.microprofile.metrics.Timer;

import dev.goingaway.DaemonThreads;
import dev.goingaway.stream.Appender;
import dev.goingaway.stream.Catchup;
import dev.goingaway.stream.CoalescedReads;
import dev.goingaway.stream.Entry;
import dev.goingaway.stream.FallbackStreamStore;
import dev.goingaway.stream.Framing;
import dev.goingaway.stream.History;
import dev.goingaway.stream.Position;
import dev.goingaway.stream.Range;
import dev.goingaway.stream.Sequence;
import dev.goingaway.stream.StreamStore;

/**
 * The chat's streams (DESIGN.md, "Positions and recovery"): every room message and broadcast is
 * appended to its stream (getting its offset) before it is delivered or acknowledged, and this
 * instance delivers each stream to its connections in offset order, once, whichever way a
 * message arrives (the answer to this instance's own append, or the cluster channel), through
 * one {@link Sequence} per stream. A connection that opens is welcomed only once its catch-up is
 * done: live messages of its streams are kept while the missed range is read (reads of one stream
 * are coalesced, {@link CoalescedReads}), joined without a duplicate or a gap ({@link Catchup}),
 * and sent after the welcome, before anything live ({@link Cursor}).
 *
 * <p>Metrics: {@code stream_recoveries_attempted}, {@code stream_recoveries_succeeded},
 * {@code stream_recoveries_failed{reason}}, {@code stream_messages_replayed},
 * {@code stream_gaps_repaired}, {@code stream_holes_skipped}, {@code stream_resets_sent},
 * timer {@code stream_history_read}, gauge {@code stream_append_queue}.
 */
@ApplicationScoped
public class StreamDelivery {

    private static final Logger LOG = Logger.getLogger(StreamDelivery.class.getName());

    /** The broadcast stream's name. */
    public static final String BROADCAST = "broadcast";
    /** How long a message may wait behind a hole for the channel to fill it before the history is read. */
    static final long HOLE_WAIT_MILLIS = 200;
    /** How long a batch of resume reads of one stream stays open for more. */
    static final long COALESCE_MILLIS = 25;
    /** Reads of the history before a catch-up whose live messages do not continue it gives up. */
    static final int CATCHUP_READS = 3;
    /** How often streams without members here are forgotten. */
    static final Duration SWEEP = Duration.ofMinutes(1);
    /** Stands for a {@code since} that could not be read: matches no epoch, so it is not recovered. */
    static final Position UNREADABLE = new Position("-", 0);

    /** A message appended and delivered here: its place in its stream, and how many connections here got it. */
    public record Appended(StreamStore.Appended stored, int deliveredHere) {
    }

    @Inject
    History history;

    @Inject
    ConnectionRegistry registry;

    @Inject
    ChatService chat;

    @Inject
    MetricRegistry metrics;

    private final Map<String, Sequence> sequences = new ConcurrentHashMap<>();
    private final Set<String> holeChecks = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService timer;
    private ExecutorService readers;
    private CoalescedReads reads;
    private Appender appender;
    private Counter attempted;
    private Counter succeeded;
    private Counter replayed;
    private Counter repaired;
    private Counter skipped;
    private Counter resets;
    private Timer readTime;
    private final Map<String, Counter> failed = new ConcurrentHashMap<>();

    /** The stream of a room. */
    public static String roomStream(String room) {
        return "room:" + room;
    }

    @PostConstruct
    void start() {
        timer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("goingaway-streams-timer-"));
        readers = Executors.newFixedThreadPool(4, DaemonThreads.named("goingaway-streams-read-"));
        reads = new CoalescedReads(history.store(), timer, readers, COALESCE_MILLIS);
        appender = new Appender(history.store()::appendAll, DaemonThreads.named("goingaway-streams-append-"));
        metrics.gauge("stream_append_queue", this, d -> d.appender.queued());
        attempted = metrics.counter("stream_recoveries_attempted");
        succeeded = metrics.counter("stream_recoveries_succeeded");
        replayed = metrics.counter("stream_messages_replayed");
        repaired = metrics.counter("stream_gaps_repaired");
        skipped = metrics.counter("stream_holes_skipped");
        resets = metrics.counter("stream_resets_sent");
        readTime = metrics.timer("stream_history_read");
        timer.scheduleWithFixedDelay(this::sweep, SWEEP.toMillis(), SWEEP.toMillis(), TimeUnit.MILLISECONDS);
    }

    // ---- appending ----------------------------------------------------------------------------

    /**
     * Appends a message to its stream (its offset assigned, kept in the history and published to
     * the other instances in one step), off the caller's thread and batched with the others
     * ({@link Appender}), then delivers it to this instance's connections. The future completes
     * after that delivery, in the order the appends were asked for. It does not fail for want of
     * Redis: while the shared store cannot be reached the offset is this instance's own, in a
     * local epoch.
     */
    public CompletableFuture<Appended> append(String stream, Framing frame, StreamStore.Publication publication) {
        return appender.append(new StreamStore.Append(stream, frame, publication)).thenApply(stored ->
                new Appended(stored, Math.max(0, offer(stream, stored.epoch(), stored.entry()))));
    }

    /** A message another instance appended, from the cluster channel; returns how many connections here got it. */
    public int arrived(String stream, String epoch, long offset, String frame) {
        if (!sequences.containsKey(stream) && !stream.equals(BROADCAST)
                && registry.inRoom(stream.substring("room:".length())).isEmpty()) {
            // Nobody here follows the room: nothing to deliver, nothing to keep. A connection that
            // joins it is registered before it reads the history, so it misses nothing.
            return 0;
        }
        return Math.max(0, offer(stream, epoch, new Entry(offset, frame)));
    }

    /**
     * The cluster channel was lost for a while: what was published meanwhile never arrived. Reads
     * every stream followed here from the history after what was delivered.
     */
    public void resync() {
        history.store().retryNow(); // Redis answers: number in its epochs again without waiting for the retry
        for (Sequence s : sequences.values()) {
            readers.execute(() -> repair(s));
        }
    }

    private int offer(String stream, String epoch, Entry entry) {
        Sequence s = sequence(stream);
        int n = s.offer(epoch, entry, System.nanoTime());
        if (n == Sequence.HELD) {
            scheduleHoleCheck(s);
        }
        return n;
    }

    private Sequence sequence(String stream) {
        return sequences.computeIfAbsent(stream, name -> new Sequence(name, name.equals(BROADCAST)
                ? new Members(BROADCAST, null) : new Members("room", name.substring("room:".length()))));
    }

    private void scheduleHoleCheck(Sequence s) {
        if (holeChecks.add(s.name())) {
            timer.schedule(() -> {
                holeChecks.remove(s.name());
                if (!s.holding()) {
                    return;
                }
                if (s.holeOlderThan(System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(HOLE_WAIT_MILLIS) + 1)) {
                    readers.execute(() -> repair(s));
                } else {
                    scheduleHoleCheck(s);
                }
            }, HOLE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Fills a sequence's hole (or what the channel lost) from the history; skips it, announced, if it cannot. */
    private void repair(Sequence s) {
        Position p = s.position();
        if (p == null) {
            return;
        }
        long t0 = System.nanoTime();
        Range r = history.store().sharedAfter(s.name(), p);
        readTime.update(Duration.ofNanos(System.nanoTime() - t0));
        if (r == null) {
            if (s.skipHole(System.nanoTime())) {
                skipped.inc();
                LOG.log(Level.WARNING, "stream_hole_skipped stream={0} after={1}: the history cannot be read;"
                        + " the stream''s connections here were told (reset)", new Object[] {s.name(), p});
            }
            return;
        }
        int n = s.repaired(r, System.nanoTime());
        if (n > 0) {
            repaired.inc(n);
            LOG.log(Level.INFO, "stream_gap_repaired stream={0} after={1} messages={2}: read from the history, delivered in order",
                    new Object[] {s.name(), p, n});
        }
    }

    /** Forgets the sequences of rooms that have no connection here (they start again from the next join). */
    private void sweep() {
        for (Sequence s : sequences.values()) {
            String name = s.name();
            if (!name.equals(BROADCAST) && !s.holding()
                    && registry.inRoom(name.substring("room:".length())).isEmpty()) {
                sequences.remove(name, s);
            }
        }
    }

    /** Hands a stream's messages to this instance's connections of it, through their cursors. */
    private final class Members implements Sequence.Sink {
        private final String kind;
        private final String room;

        Members(String kind, String room) {
            this.kind = kind;
            this.room = room;
        }

        private Collection<ChatClient> members() {
            return room == null ? registry.all() : registry.inRoom(room);
        }

        private Cursor cursor(ChatClient c) {
            return room == null ? c.broadcastCursor() : c.roomCursor();
        }

        @Override
        public int deliver(String epoch, Entry entry) {
            int n = 0;
            for (ChatClient c : members()) {
                if (!c.closing() && cursor(c).offer(epoch, entry, sends(c, kind))) {
                    n++;
                }
            }
            return n;
        }

        @Override
        public void reset(Position position) {
            for (ChatClient c : members()) {
                if (!c.closing()) {
                    cursor(c).reset(position, sends(c, kind));
                }
            }
        }
    }

    private Cursor.Sends sends(ChatClient c, String kind) {
        return new Cursor.Sends() {
            @Override
            public void reset(Position position) {
                resets.inc();
                chat.deliver(c, chat.encode(new Frames.Reset(kind, position.epoch(), position.offset())));
            }

            @Override
            public void frame(String frame) {
                chat.deliver(c, frame);
            }
        };
    }

    // ---- joining ------------------------------------------------------------------------------

    /**
     * Catches a connection up and welcomes it. The client must be registered already (so its
     * cursors keep the live messages from now on). {@code since} / {@code broadcastSince} are
     * its positions, null when it gave none ({@link #UNREADABLE} when it gave one that could not
     * be read). {@code welcome} makes the welcome frame from {@code recovered} and the streams'
     * tops; it is sent, then the missed frames, then what the connection was sent meanwhile.
     */
    public void join(ChatClient c, Position since, Position broadcastSince,
                     BiFunction<Boolean, Map<String, Frames.Top>, String> welcome) {
        String room = roomStream(c.room());
        rangeFor(room, since, false).thenCombine(rangeFor(BROADCAST, broadcastSince, false), (r, b) -> {
            finish(c, since, broadcastSince, r, b, 1, welcome);
            return null;
        }).exceptionally(e -> {
            LOG.log(Level.WARNING, "session_id={0} catch-up failed: {1}", new Object[] {c.sessionId(), String.valueOf(e)});
            chat.closeAsync(c, CloseCode.TRY_AGAIN_LATER, "could not read the stream history; reconnect");
            return null;
        });
    }

    /** The range a connection needs: from this instance's own place in the stream when that suffices. */
    private CompletableFuture<Range> rangeFor(String stream, Position since, boolean force) {
        Sequence s = sequence(stream);
        Position here = s.position();
        if (!force && here != null && !s.holding() && (since == null || since.equals(here))) {
            return CompletableFuture.completedFuture(new Range(here.epoch(), here.offset(), List.of()));
        }
        long t0 = System.nanoTime();
        CompletableFuture<Range> read;
        if (since != null && FallbackStreamStore.isLocal(since.epoch())) {
            read = CompletableFuture.supplyAsync(() -> history.store().after(stream, since), readers);
        } else {
            read = reads.after(stream, since == null ? Long.MAX_VALUE : since.offset());
        }
        return read.whenComplete((r, e) -> {
            readTime.update(Duration.ofNanos(System.nanoTime() - t0));
            if (r != null) {
                s.startAt(r.top()); // joins without a position need no read from now on
            }
        });
    }

    private void finish(ChatClient c, Position since, Position broadcastSince, Range room, Range broadcast, int attempt,
                        BiFunction<Boolean, Map<String, Frames.Top>, String> welcome) {
        Cursor rc = c.roomCursor();
        Cursor bc = c.broadcastCursor();
        synchronized (rc) {
            synchronized (bc) {
                if (c.closing()) {
                    return;
                }
                Catchup.Result r = Catchup.of(since, room, rc.buffered());
                Catchup.Result b = Catchup.of(broadcastSince, broadcast, bc.buffered());
                if ((!r.consistent() || !b.consistent()) && attempt < CATCHUP_READS) {
                    // A live message was missed between the read and the buffer, or the epoch
                    // changed meanwhile: read again (the cursors keep buffering).
                    CompletableFuture<Range> r2 = r.consistent() ? CompletableFuture.completedFuture(room)
                            : rangeFor(roomStream(c.room()), since, true);
                    CompletableFuture<Range> b2 = b.consistent() ? CompletableFuture.completedFuture(broadcast)
                            : rangeFor(BROADCAST, broadcastSince, true);
                    r2.thenCombine(b2, (x, y) -> {
                        finish(c, since, broadcastSince, x, y, attempt + 1, welcome);
                        return null;
                    }).exceptionally(e -> {
                        chat.closeAsync(c, CloseCode.TRY_AGAIN_LATER, "could not read the stream history; reconnect");
                        return null;
                    });
                    return;
                }
                Map<String, Frames.Top> tops = new LinkedHashMap<>();
                Boolean recovered = null;
                List<String> frames = new ArrayList<>();
                recovered = take("room", since, room, r, tops, frames, recovered);
                recovered = take("broadcast", broadcastSince, broadcast, b, tops, frames, recovered);
                frames.add(0, welcome.apply(recovered, tops));
                rc.live(r.consistent() ? r.position() : room.top());
                bc.live(b.consistent() ? b.position() : broadcast.top());
                c.welcome(frames);
            }
        }
    }

    /** One stream's part of a welcome: its top, its answer to the resume, its missed frames. */
    private Boolean take(String name, Position since, Range range, Catchup.Result result, Map<String, Frames.Top> tops,
                         List<String> frames, Boolean recoveredSoFar) {
        Boolean recovered = since == null ? null : result.consistent() && Boolean.TRUE.equals(result.recovered());
        tops.put(name, new Frames.Top(range.epoch(), range.topOffset(), recovered));
        if (result.consistent()) {
            for (Entry e : result.frames()) {
                frames.add(e.frame());
            }
        }
        if (since == null) {
            return recoveredSoFar;
        }
        attempted.inc();
        if (recovered) {
            succeeded.inc();
            replayed.inc(result.frames().stream().filter(e -> e.offset() <= range.topOffset()).count());
        } else {
            failed.computeIfAbsent(reason(since, range, result), why -> metrics.counter("stream_recoveries_failed",
                    new Tag("reason", why))).inc();
        }
        return (recoveredSoFar == null || recoveredSoFar) && recovered;
    }

    private String reason(Position since, Range range, Catchup.Result result) {
        if (since == UNREADABLE) {
            return "bad_position";
        }
        if (!result.consistent()) {
            return "inconsistent";
        }
        if (!since.epoch().equals(range.epoch())) {
            return FallbackStreamStore.isLocal(range.epoch()) ? "store_unavailable" : "epoch";
        }
        return "window";
    }

    @PreDestroy
    void stop() {
        appender.close(1_000);
        timer.shutdownNow();
        readers.shutdownNow();
    }
}
