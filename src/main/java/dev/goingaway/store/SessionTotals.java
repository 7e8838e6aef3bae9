package dev.goingaway.store;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.goingaway.DaemonThreads;
import dev.goingaway.config.Settings;
import dev.goingaway.redis.Redis;
import dev.goingaway.redis.RedisTarget;

import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.MetricRegistry;

/**
 * Keeps the store in step with the live sessions: loads a session's record when it resumes,
 * writes changed totals behind the chat traffic every {@value #FLUSH_MILLIS} ms in one pipeline,
 * and flushes everything, bounded, when the instance drains. While the store is down the
 * changes wait here (latest total wins) and go out as soon as it answers again.
 */
@ApplicationScoped
public class SessionTotals {

    /** A total written this recently is not written again when its connection closes. */
    static final Duration LEFT_FRESH_FOR = Duration.ofMinutes(1);

    private static final Logger LOG = Logger.getLogger(SessionTotals.class.getName());
    static final long FLUSH_MILLIS = 250;
    private static final long PING_MILLIS = 2_000;

    @Inject
    Settings settings;

    @Inject
    MetricRegistry metrics;

    @Inject
    Redis redis;

    private SessionStore store;
    private final Map<String, Tally> dirty = new ConcurrentHashMap<>();
    /** The tallies of the sessions connected here, written again when a new primary answers. */
    private final Map<String, Tally> live = new ConcurrentHashMap<>();
    /** Who answered the last ping ({@link SessionStore#ping}); null before the first. */
    private volatile String primary;
    private volatile long lastPingNanos;
    private Counter rewrites;
    /** Tallies counted while the store could not be read, until their stored base is added. */
    private final Map<String, Tally> unreconciled = new ConcurrentHashMap<>();
    private final ReentrantLock flushLock = new ReentrantLock();
    private final java.util.concurrent.atomic.AtomicBoolean flushRequested = new java.util.concurrent.atomic.AtomicBoolean();
    private ScheduledExecutorService flusher;
    private volatile StoreStatus status;
    private volatile long lastContactNanos;
    private Counter writeFailures;
    private Counter sessionsWritten;

    @PostConstruct
    void start() {
        Optional<RedisTarget> target = redis.target();
        if (target.isPresent()) {
            store = new RedisSessionStore(target.get());
        } else {
            store = new InMemorySessionStore();
            LOG.warning("no Redis is set (REDIS_URL, REDIS_SENTINEL_NODES, REDIS_CLUSTER_NODES): session totals are kept in memory on this instance only;"
                    + " they do not survive a restart and other instances cannot see them");
        }
        status = new StoreStatus(store.describe(), true, null, Instant.now(), 0);
        writeFailures = metrics.counter("store_write_failures");
        sessionsWritten = metrics.counter("store_sessions_written");
        rewrites = metrics.counter("store_new_primary_rewrites");
        metrics.gauge("store_up", this, t -> t.status.reachable() ? 1 : 0);
        metrics.gauge("store_pending_writes", this, t -> t.dirty.size());
        flusher = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("goingaway-store-flusher-"));
        flusher.scheduleWithFixedDelay(this::tick, FLUSH_MILLIS, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
        LOG.log(Level.INFO, "session store: {0}", store.describe());
    }

    /** Used by tests and by {@link #start()}; the instance owns and closes the store. */
    void useStore(SessionStore s) {
        this.store = s;
    }

    /**
     * The tally of a session that (re)connects. A store that does not answer in time yields a
     * tally with an unknown base, reconciled later; the client is never kept waiting past
     * {@code REDIS_TIMEOUT}.
     */
    public Tally open(String sessionId, boolean resumed) {
        if (!resumed) {
            // Written with the next flush, so that from then on every instance recognises the id
            // (and the drain, which flushes before the byes, finds nothing new left to write).
            Tally fresh = Tally.known(sessionId, 0, List.of());
            dirty.put(sessionId, fresh);
            return live(fresh);
        }
        // A session that left this instance moments ago may not be written yet: its pending
        // tally is newer than anything in the store.
        Tally pending = dirty.get(sessionId);
        if (pending != null && pending.baseKnown()) {
            SessionRecord r = pending.snapshot();
            return live(Tally.known(sessionId, r.total(), r.recentIds()));
        }
        // Back again before the store could be read: keep counting on the same tally. A new
        // one would replace it in the write-behind and lose what it counted (it is not in
        // `dirty` while a flush is trying to write it, hence a map of its own).
        Tally counting = unreconciled.get(sessionId);
        if (counting != null) {
            return live(counting);
        }
        if (!status.reachable()) {
            // The store failed its last call. Waiting another REDIS_TIMEOUT here would hold a
            // container thread per resuming client: a reconnect storm against a frozen Redis
            // then starved every other client's acks (up to 2 s). Reconcile later instead.
            LOG.log(Level.FINE, "session_id={0}: store unreachable, counting from 0 until it answers", sessionId);
            return live(countUnreconciled(sessionId));
        }
        try {
            Optional<SessionRecord> stored = store.load(sessionId);
            reachable();
            return live(stored.map(r -> Tally.known(sessionId, r.total(), r.recentIds()))
                    .orElseGet(() -> Tally.known(sessionId, 0, List.of())));
        } catch (StoreException e) {
            unreachable(e);
            LOG.log(Level.WARNING, "session_id={0}: stored total not readable, counting from 0 until the store answers: {1}",
                    new Object[] {sessionId, e.getMessage()});
            return live(countUnreconciled(sessionId));
        }
    }

    private Tally live(Tally t) {
        live.put(t.sessionId(), t);
        return t;
    }

    private Tally countUnreconciled(String sessionId) {
        Tally t = unreconciled.computeIfAbsent(sessionId, Tally::unknownBase);
        dirty.put(sessionId, t);
        return t;
    }

    /** Marks a tally as changed; it is written within one flush interval. */
    public void changed(Tally tally) {
        dirty.put(tally.sessionId(), tally);
    }

    /**
     * A session's last connection on this instance closed: write it now rather than at the next
     * tick, so a client that reconnects to another instance at once finds its total there.
     */
    public void left(Tally tally) {
        live.remove(tally.sessionId(), tally);
        if (!tally.unsaved(leftFreshFor())) {
            // The store has all of it, written moments ago (the drain flushes every total before
            // the byes): writing it again would only cost the drain CPU and Redis a round of HSETs.
            return;
        }
        dirty.put(tally.sessionId(), tally);
        // Coalesced: 10,000 connections closing at once need one flush, not 10,000.
        if (flushRequested.compareAndSet(false, true)) {
            try {
                flusher.execute(() -> {
                    flushRequested.set(false);
                    tick();
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                flushRequested.set(false); // stopping: the final flush in stop() writes it
            }
        }
    }

    /** {@link #LEFT_FRESH_FOR}, or half the expiry if that is shorter (tests run with seconds). */
    private Duration leftFreshFor() {
        Duration halfTtl = settings.sessionTtl().dividedBy(2);
        return halfTtl.compareTo(LEFT_FRESH_FOR) < 0 ? halfTtl : LEFT_FRESH_FOR;
    }

    /**
     * Writes every pending change now, in one pipeline, waiting at most {@code timeout}.
     * Returns the number of sessions written; 0 with the error logged if the store failed.
     */
    public int flush(Duration timeout) {
        try {
            if (!flushLock.tryLock(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warning("flush skipped: a previous flush is still waiting for the store");
                return 0;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
        try {
            return flushLocked();
        } finally {
            flushLock.unlock();
        }
    }

    /** The shutdown report of an instance, as the store keeps it. */
    public Optional<String> shutdownReport(String instance) throws StoreException {
        return store.shutdownReport(instance);
    }

    /** Stores this instance's shutdown report (bounded like every store call). */
    public void saveShutdownReport(String instance, String json) throws StoreException {
        store.saveShutdownReport(instance, json, Duration.ofDays(7));
    }

    public StoreStatus status() {
        StoreStatus s = status;
        return new StoreStatus(s.store(), s.reachable(), s.lastError(), s.since(), dirty.size());
    }

    public int pendingWrites() {
        return dirty.size();
    }

    private void tick() {
        try {
            if (!flushLock.tryLock()) {
                return;
            }
            try {
                long now = System.nanoTime();
                if (now - lastPingNanos > TimeUnit.MILLISECONDS.toNanos(PING_MILLIS)
                        || (dirty.isEmpty() && now - lastContactNanos > TimeUnit.MILLISECONDS.toNanos(PING_MILLIS))) {
                    lastPingNanos = now;
                    answeredBy(store.ping());
                    reachable();
                }
                if (!dirty.isEmpty()) {
                    flushLocked();
                }
            } finally {
                flushLock.unlock();
            }
        } catch (StoreException e) {
            unreachable(e);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "store flusher failed; it keeps running", e);
        }
    }

    private int flushLocked() {
        List<Tally> batch = new ArrayList<>(dirty.size());
        for (Tally t : dirty.values()) {
            if (dirty.remove(t.sessionId(), t)) {
                batch.add(t);
            }
        }
        if (batch.isEmpty()) {
            return 0;
        }
        try {
            for (Tally t : batch) {
                if (!t.baseKnown()) {
                    t.reconcile(store.load(t.sessionId()).orElse(null));
                    unreconciled.remove(t.sessionId(), t);
                }
            }
            List<Tally.Write> writes = new ArrayList<>(batch.size());
            List<SessionRecord> records = new ArrayList<>(batch.size());
            for (Tally t : batch) {
                Tally.Write w = t.write();
                writes.add(w);
                records.add(w.record());
            }
            store.saveAll(records, settings.sessionTtl());
            writes.forEach(w -> w.tally().saved(w));
            reachable();
            sessionsWritten.inc(records.size());
            return records.size();
        } catch (StoreException e) {
            // Put back what is not newer already (a later change replaced it in the map).
            batch.forEach(t -> dirty.putIfAbsent(t.sessionId(), t));
            writeFailures.inc();
            unreachable(e);
            return 0;
        }
    }

    /**
     * A primary that was not the one before (a promoted replica, a restart) may lack the last
     * totals written: every session connected here is written again, with its total as this
     * instance has it, so none goes backwards for long. Sessions that left before cannot be
     * rewritten (another instance may have counted on since): what a primary acknowledged and
     * lost before passing it on stays lost for them (docs/REDIS.md).
     */
    void answeredBy(String who) {
        String before = primary;
        primary = who;
        if (before != null && !before.equals(who)) {
            int n = 0;
            for (Tally t : live.values()) {
                dirty.putIfAbsent(t.sessionId(), t);
                n++;
            }
            rewrites.inc(n);
            LOG.log(Level.WARNING, "store_new_primary store={0}: {1} connected sessions written again",
                    new Object[] {store.describe(), n});
        }
    }

    private void reachable() {
        lastContactNanos = System.nanoTime();
        StoreStatus s = status;
        if (!s.reachable()) {
            LOG.log(Level.INFO, "store_recovered store={0} pending={1}: writes resume", new Object[] {store.describe(), dirty.size()});
            status = new StoreStatus(s.store(), true, null, Instant.now(), 0);
        }
    }

    private void unreachable(StoreException e) {
        StoreStatus s = status;
        if (s.reachable()) {
            LOG.log(Level.WARNING, "store_unreachable store={0}: {1}; chat continues, totals are kept and written when it returns",
                    new Object[] {store.describe(), e.getMessage()});
        }
        status = new StoreStatus(s.store(), false, e.getMessage(), s.reachable() ? Instant.now() : s.since(), 0);
    }

    @PreDestroy
    void stop() {
        flusher.shutdownNow();
        if (status.reachable()) {
            flush(settings.redisTimeout());
        } else if (!dirty.isEmpty()) {
            // The drain already tried; another timeout here would only delay the exit.
            LOG.log(Level.WARNING, "store_unreachable at stop: {0} session totals not written", dirty.size());
        }
        store.close();
    }
}
