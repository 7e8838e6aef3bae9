package dev.goingaway.cluster.rollover;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * All the harness's clients and what they share: one JDK {@link HttpClient} (non-blocking: a
 * few threads carry thousands of WebSockets), one timer for pauses and reconnects, the proxy's
 * address, and the log of every welcome (when, and from which instance) from which the
 * reconnect times and handshake rates are read.
 */
final class Fleet implements AutoCloseable {

    /** One accepted handshake: when the welcome arrived and which instance sent it. */
    record Welcome(long nanos, String instance, boolean resumed) {
    }

    final HttpClient http;
    final ScheduledExecutorService timer;
    final int pauseMillis;
    private final ExecutorService io;
    private final URI proxy;
    private final List<RolloverClient> clients = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Welcome> welcomes = new ConcurrentLinkedQueue<>();
    /** Bounds handshakes in flight during the first connect, so 5,000 clients do not SYN-flood the proxy. */
    private final Semaphore initialConnects = new Semaphore(200);

    Fleet(URI proxy, int pauseMillis) {
        this.proxy = proxy;
        this.pauseMillis = pauseMillis;
        this.io = Executors.newFixedThreadPool(4, daemon("fleet-io-"));
        this.timer = Executors.newScheduledThreadPool(4, daemon("fleet-timer-"));
        this.http = HttpClient.newBuilder().executor(io).connectTimeout(Duration.ofSeconds(5)).build();
        timer.scheduleWithFixedDelay(() -> {
            long now = System.nanoTime();
            clients.forEach(c -> c.checkAnswered(now));
        }, 1, 1, TimeUnit.SECONDS);
    }

    /** Creates {@code n} clients in rooms of {@code roomSize} (the last room may be smaller). */
    void create(int n, int roomSize) {
        for (int i = 0; i < n; i++) {
            int room = i / roomSize;
            int first = room * roomSize;
            int last = Math.min(n, first + roomSize) - 1;
            clients.add(new RolloverClient(this, i, "r" + room, first, last));
        }
    }

    List<RolloverClient> clients() {
        return clients;
    }

    RolloverClient client(int index) {
        return clients.get(index);
    }

    URI uri(String room, String session, String since) {
        String query = "room=" + room + (session == null ? "" : "&session=" + session) + (since == null ? "" : "&since=" + since);
        return proxy.resolve("/ws/chat?" + query);
    }

    /** Connects every client for the first time, at most 200 handshakes in flight. */
    void connectAll(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (RolloverClient c : clients) {
            if (!initialConnects.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new AssertionError("initial connects did not progress within " + timeout.toSeconds() + " s");
            }
            c.connect(initialConnects::release);
        }
        awaitAll("every client welcomed", RolloverClient::open, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    /** Waits until every client meets {@code condition}; on timeout says how many did not, and shows some. */
    void awaitAll(String what, Predicate<RolloverClient> condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!clients.stream().allMatch(condition)) {
            if (System.nanoTime() > deadline) {
                List<RolloverClient> behind = clients.stream().filter(condition.negate()).toList();
                StringBuilder b = new StringBuilder("timed out after " + timeout.toSeconds() + " s waiting for: " + what
                        + "; " + behind.size() + " of " + clients.size() + " clients not there, for example:");
                behind.stream().limit(8).forEach(c -> b.append("\n  ").append(c.describe()));
                throw new AssertionError(b.toString());
            }
            try {
                Thread.sleep(50); // polling interval of a deadline-bounded wait
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what);
            }
        }
    }

    long count(Predicate<RolloverClient> condition) {
        return clients.stream().filter(condition).count();
    }

    void welcomed(String instance, boolean resumed) {
        welcomes.add(new Welcome(System.nanoTime(), instance, resumed));
    }

    List<Welcome> welcomes() {
        return new ArrayList<>(welcomes);
    }

    /** Most welcomes from {@code instance} within any one-second window after {@code fromNanos}. */
    int peakHandshakesPerSecond(String instance, long fromNanos) {
        List<Long> times = welcomes.stream().filter(w -> w.instance().equals(instance) && w.nanos() >= fromNanos)
                .map(Welcome::nanos).sorted().toList();
        int best = 0;
        int start = 0;
        for (int end = 0; end < times.size(); end++) {
            while (times.get(end) - times.get(start) >= TimeUnit.SECONDS.toNanos(1)) {
                start++;
            }
            best = Math.max(best, end - start + 1);
        }
        return best;
    }

    void startTalking() {
        clients.forEach(RolloverClient::startTalking);
    }

    void stopTalking() {
        clients.forEach(RolloverClient::stopTalking);
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void close() throws InterruptedException {
        clients.forEach(RolloverClient::close);
        timer.shutdownNow();
        io.shutdownNow();
        timer.awaitTermination(5, TimeUnit.SECONDS);
        io.awaitTermination(5, TimeUnit.SECONDS);
    }
}
