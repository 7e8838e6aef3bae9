package dev.goingaway.shutdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import jakarta.json.bind.JsonbBuilder;

import org.junit.jupiter.api.Test;

import dev.goingaway.chat.Admission;
import dev.goingaway.chat.ChatClient;
import dev.goingaway.chat.MemoryConnection;
import dev.goingaway.store.StoreException;
import dev.goingaway.store.StoreStatus;

/**
 * The drain against an in-memory transport, store and clients: the order of DESIGN.md's
 * shutdown sequence, and that a store that never answers or a client that never reads is
 * bounded by the deadline and reported. The real-process ITs (GracefulShutdownIT and the
 * others) prove the same against Liberty; this one runs in the unit phase, in a second or two.
 */
class DrainTest {

    private final List<String> journal = new ArrayList<>();
    private final Admission admission = new Admission();
    private final ConcurrentHashMap<String, ChatClient> registry = new ConcurrentHashMap<>();
    private final List<MemoryConnection> connections = new ArrayList<>();

    private void log(String event) {
        synchronized (journal) {
            journal.add(event);
        }
    }

    private List<String> journal() {
        synchronized (journal) {
            return List.copyOf(journal);
        }
    }

    private MemoryConnection connect(String id, boolean reads, long total) {
        MemoryConnection c = new MemoryConnection(id, reads, journal);
        registry.put(id, c.joined("session-" + id, total));
        connections.add(c);
        return c;
    }

    /** A store whose writes succeed at once, or (never answers) take their whole bound and fail. */
    private final class MemoryStore implements Drain.Totals {
        final boolean answers;
        volatile String report;

        MemoryStore(boolean answers) {
            this.answers = answers;
        }

        @Override
        public int flush(Duration within) {
            log("flush refusingNew=" + admission.refusingNew() + " inFlight=" + admission.inFlight());
            if (!answers) {
                try {
                    TimeUnit.NANOSECONDS.sleep(within.toNanos()); // a store that never answers: the call runs out its bound
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return 0;
            }
            return registry.size();
        }

        @Override
        public int pendingWrites() {
            return 0;
        }

        @Override
        public StoreStatus status() {
            return new StoreStatus("memory", answers, answers ? null : "no answer", java.time.Instant.now(), 0);
        }

        @Override
        public void saveReport(String instance, String json) throws StoreException {
            log("report");
            if (!answers) {
                throw new StoreException("no answer", null);
            }
            report = json;
        }
    }

    private final class MemoryTransport implements Transport {
        @Override
        public Closing begin(boolean exitFollows, int open) {
            log("begin draining=" + admission.draining() + " refusingNew=" + admission.refusingNew() + " connections=" + open);
            return new Closing() {
                @Override
                public void goodbyesStarting() {
                    log("goodbyes");
                }

                @Override
                public Answers awaitAnswers(int unanswered, long deadlineNanos) {
                    long stillOpen = connections.stream().filter(MemoryConnection::open).count();
                    log("answers unanswered=" + unanswered + " open=" + stillOpen);
                    return new Answers((int) stillOpen, "memory");
                }
            };
        }
    }

    private static final class Counted implements Drain.Metrics {
        volatile int started;
        volatile int completed;

        @Override public void started() { started++; }
        @Override public void byes(int sent, int failed) { }
        @Override public void saved(int sessions) { }
        @Override public void closeFailed(int n) { }
        @Override public void leftOpen(int n) { }
        @Override public void completed(Duration took) { completed++; }
    }

    private ShutdownReport drain(Duration deadline, Drain.Totals store, Counted metrics) {
        Drain drain = new Drain(new Drain.Plan("test", deadline, Duration.ZERO, Duration.ofMillis(200), Duration.ofSeconds(5)),
                admission, () -> (Collection<ChatClient>) registry.values(), store, new MemoryTransport(), metrics,
                frame -> JsonbBuilder.create().toJson(frame));
        return drain.run("test", drain.budget(System.nanoTime()), true);
    }

    private int indexOf(String prefix) {
        List<String> j = journal();
        for (int i = 0; i < j.size(); i++) {
            if (j.get(i).startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("no '" + prefix + "' in " + j);
    }

    @Test
    void stepsRunInTheOrderOfTheShutdownSequence() throws Exception {
        connect("a", true, 3);
        connect("b", true, 7);
        // A message in flight when the drain starts: it must be answered before the totals are written.
        assertTrue(admission.enter());
        Thread message = new Thread(() -> {
            try {
                while (!admission.refusingNew()) {
                    Thread.onSpinWait();
                }
                log("message answered");
            } finally {
                admission.exit();
            }
        });
        message.start();
        Counted metrics = new Counted();
        MemoryStore store = new MemoryStore(true);

        ShutdownReport report = drain(Duration.ofSeconds(8), store, metrics);
        message.join();

        List<String> j = journal();
        assertEquals("begin draining=true refusingNew=false connections=2", j.get(0), "readiness DOWN first, new work still taken: " + j);
        assertTrue(indexOf("message answered") < indexOf("flush"), "in-flight message answered before the totals: " + j);
        assertEquals("flush refusingNew=true inFlight=0", j.get(indexOf("flush")), "totals written once new work is refused and none is in flight");
        assertTrue(indexOf("flush") < indexOf("goodbyes"), "totals written before anyone is told to leave: " + j);
        for (String id : List.of("a", "b")) {
            int bye = indexOf(id + " text {\"type\":\"bye\"");
            int close = indexOf(id + " close 1001");
            assertTrue(indexOf("goodbyes") < bye && bye < close, id + ": bye, then close 1001: " + j);
            assertTrue(close < indexOf("answers"), id + ": closed before the wait for the answers: " + j);
        }
        assertEquals("answers unanswered=0 open=0", j.get(indexOf("answers")));
        assertTrue(indexOf("answers") < indexOf("report"), "the report last: " + j);
        assertFalse(admission.ready(), "readiness stays DOWN");

        assertEquals(2, report.sessions());
        assertEquals(2, report.byesSent());
        assertEquals(2, report.closed());
        assertEquals(0, report.leftOpen());
        assertEquals(1, report.inFlightAtStart());
        assertEquals(0, report.inFlightLeft());
        assertEquals(1, metrics.started);
        assertEquals(1, metrics.completed);
        assertNotNull(store.report, "report stored");
        assertTrue(store.report.contains("\"byesSent\":2"), store.report);
        assertTrue(connections.get(0).frames().get(0).contains("\"total\":3"), "each bye carries its session's total");
    }

    @Test
    void aStoreThatNeverAnswersIsBoundedAndReported() {
        connect("a", true, 1);
        Duration deadline = Duration.ofSeconds(2);
        long t0 = System.nanoTime();
        ShutdownReport report = drain(deadline, new MemoryStore(false), new Counted());
        long tookMillis = (System.nanoTime() - t0) / 1_000_000;

        assertEquals(1, report.byesSent(), "the client still gets its bye");
        assertEquals(1, report.closed());
        assertEquals("no answer", report.storeError(), "the store's failure is in the report");
        assertEquals(0, report.sessionsSaved());
        // The bound is the drain's own promise, not a speed target: every step takes its share of
        // the deadline, and the watchdog's margin after it covers the report.
        assertTrue(tookMillis <= DrainBudget.hardBoundMillis(deadline), "drain ended within its bound: " + tookMillis + " ms");
    }

    @Test
    void aClientThatNeverReadsIsEndedByTheDeadlineWithoutHoldingUpTheOthers() {
        MemoryConnection stuck = connect("stuck", false, 1);
        connect("fine", true, 2);
        Duration deadline = Duration.ofSeconds(2);
        long t0 = System.nanoTime();
        ShutdownReport report = drain(deadline, new MemoryStore(true), new Counted());
        long tookMillis = (System.nanoTime() - t0) / 1_000_000;

        assertEquals(1, report.byesSent(), "the reading client got its bye");
        assertEquals(1, report.byeFailures(), "the stuck one is reported");
        assertEquals(1, report.closed());
        assertEquals(1, report.leftOpen());
        assertFalse(stuck.open(), "the stuck connection is ended");
        List<String> j = journal();
        assertTrue(indexOf("fine close 1001") < indexOf("stuck abort"), "the reading client is not held up by the stuck one: " + j);
        assertTrue(indexOf("stuck abort") < indexOf("answers"), "ended before the wait for the answers: " + j);
        assertTrue(tookMillis <= DrainBudget.hardBoundMillis(deadline), "drain ended within its bound: " + tookMillis + " ms");
    }

    /** A store that fails its first writes (a failover under way) and then answers. */
    private final class ComesBack implements Drain.Totals {
        final int failures;
        final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        volatile int pending;

        ComesBack(int failures, int pending) {
            this.failures = failures;
            this.pending = pending;
        }

        @Override
        public int flush(Duration within) {
            if (calls.incrementAndGet() <= failures) {
                return 0;
            }
            int n = pending;
            pending = 0;
            return n;
        }

        @Override
        public int pendingWrites() {
            return pending;
        }

        @Override
        public StoreStatus status() {
            return new StoreStatus("memory", pending == 0, pending == 0 ? null : "no primary", java.time.Instant.now(), pending);
        }

        @Override
        public void saveReport(String instance, String json) {
        }
    }

    @Test
    void totalsThatCouldNotBeWrittenAreTriedAgainAfterTheByesUntilTheStoreAnswers() {
        connect("a", true, 1);
        connect("b", true, 2);
        ComesBack store = new ComesBack(4, 2);
        ShutdownReport report = drain(Duration.ofSeconds(8), store, new Counted());
        assertEquals(2, report.byesSent(), "the byes did not wait for the store");
        assertEquals(2, report.sessionsSaved(), "the totals were written once the store answered");
        assertEquals(5, store.calls.get(), "step 4's write, then retries until one succeeded");
        assertNull(report.storeError());
    }
}
