package dev.goingaway.transport.jakarta;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import dev.goingaway.DaemonThreads;

/**
 * The server's TCP connections still open, counted in the kernel's socket tables
 * ({@code /proc/self/net/tcp} and {@code tcp6}): those in state ESTABLISHED or CLOSE_WAIT whose
 * local port is one of Liberty's HTTP endpoints.
 *
 * <p>Why the drain looks: after a server-initiated close, Liberty keeps the connection until the
 * client answers with its own close frame. If any connection is still open when Liberty's stop
 * begins, its quiesce checks its chains, finds one running and sleeps a whole second before it
 * looks again ({@code UtilsChainListener.waitOnChains}); if none is, the quiesce ends in
 * milliseconds (docs/LIBERTY-FACTS.md). Waiting here for the clients' answers, which take
 * milliseconds, therefore saves up to a second of every rolling update.
 *
 * <p>Where there is no {@code /proc} (not Linux) or no endpoint MBean, {@link #count} returns -1
 * and the drain does not wait.
 */
final class OpenConnections {

    private static final Logger LOG = Logger.getLogger(OpenConnections.class.getName());

    private static final List<Path> TABLES = List.of(Path.of("/proc/self/net/tcp"), Path.of("/proc/self/net/tcp6"));
    /** Liberty's {@code EndPointInfoMBean}s, one per HTTP(S) endpoint. */
    private static final String ENDPOINTS = "WebSphere:feature=channelfw,type=endpoint,*";
    private static final String ESTABLISHED = "01";
    private static final String CLOSE_WAIT = "08";
    /** How often the tables are read while waiting; one read of 10,000 sockets takes ~5 ms. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** The first count is waited for at least this long, even past the deadline. */
    private static final long FIRST_READ_FLOOR_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final Set<Integer> ports;
    private int polls;
    private long pollNanos;

    private OpenConnections(Set<Integer> ports) {
        this.ports = ports;
    }

    /** For the ports Liberty's HTTP endpoints listen on, as its MBeans report them now. */
    static OpenConnections onHttpEndpoints() {
        Set<Integer> ports = new TreeSet<>();
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            for (ObjectName name : server.queryNames(new ObjectName(ENDPOINTS), null)) {
                if (server.getAttribute(name, "Port") instanceof Integer port && port > 0) {
                    ports.add(port);
                }
            }
        } catch (JMException | RuntimeException e) {
            LOG.log(Level.FINE, "HTTP endpoint ports unknown: {0}", e.toString());
        }
        return new OpenConnections(ports);
    }

    /** For the given ports. */
    static OpenConnections onPorts(Set<Integer> ports) {
        return new OpenConnections(Set.copyOf(ports));
    }

    Set<Integer> ports() {
        return ports;
    }

    /** Open connections on the endpoints' ports; -1 if they cannot be counted here. */
    int count() {
        if (ports.isEmpty()) {
            return -1;
        }
        int open = 0;
        boolean readAny = false;
        for (Path table : TABLES) {
            try {
                open += count(Files.readString(table), ports);
                readAny = true;
            } catch (IOException | RuntimeException e) {
                // no such table (IPv6 off, not Linux): the other one may still be there
            }
        }
        return readAny ? open : -1;
    }

    /**
     * Waits until at most {@code expected} connections are open, or until {@code deadlineNanos}.
     * Returns the last count (-1 if connections cannot be counted here; nothing is waited then).
     */
    int awaitAtMost(int expected, long deadlineNanos) {
        polls = 0;
        pollNanos = 0;
        // The reads run on a thread of their own and the wait for each ends at the deadline: on a
        // machine loaded by a reconnect storm one read of the tables took 0.3-0.7 s, and once a
        // read begun in time did not end before the watchdog's 9 s.
        ExecutorService reader = Executors.newSingleThreadExecutor(DaemonThreads.named("goingaway-socket-tables-"));
        try {
            // The first count is always taken (it is what the caller reports), within a short floor.
            int open = timedCount(reader, Math.max(deadlineNanos, System.nanoTime() + FIRST_READ_FLOOR_NANOS), -1);
            long cost = polls == 0 ? 0 : pollNanos;
            while (open > expected && System.nanoTime() < deadlineNanos) {
                // Reading the table is not free: with 10,000 connections (20,000 rows when the clients
                // are on the same host) one read costs milliseconds of CPU that the clients need to
                // answer the close (~35 ms of kernel time for 36,000 rows here, 0.3-0.7 s of wall time
                // on a loaded machine). Polls are spaced by four times their cost, 20 to 100 ms.
                long pause = Math.max(POLL_NANOS, Math.min(4 * cost, MAX_POLL_NANOS));
                LockSupport.parkNanos(Math.min(pause, deadlineNanos - System.nanoTime()));
                // A read that cannot end before the deadline is not started.
                if (deadlineNanos - System.nanoTime() < 2 * cost) {
                    break;
                }
                long before = pollNanos;
                open = timedCount(reader, deadlineNanos, open);
                cost = pollNanos - before;
            }
            return open;
        } finally {
            reader.shutdownNow();
        }
    }

    /** One count, waited for until the deadline; {@code unknown} if it has not ended by then. */
    private int timedCount(ExecutorService reader, long deadlineNanos, int unknown) {
        long t0 = System.nanoTime();
        Future<Integer> read = reader.submit((Callable<Integer>) this::count);
        try {
            int open = read.get(Math.max(0, deadlineNanos - t0), TimeUnit.NANOSECONDS);
            polls++;
            pollNanos += System.nanoTime() - t0;
            return open;
        } catch (TimeoutException e) {
            read.cancel(true);
            LOG.log(Level.FINE, "socket tables not read by the deadline ({0} ms)", (System.nanoTime() - t0) / 1_000_000);
            return unknown;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unknown;
        } catch (ExecutionException e) {
            return unknown;
        }
    }

    /** Reads of the tables made by the last {@link #awaitAtMost}. */
    int polls() {
        return polls;
    }

    /** Their mean cost, in microseconds. */
    long meanPollMicros() {
        return polls == 0 ? 0 : pollNanos / polls / 1_000;
    }

    /**
     * Counts the rows of one {@code /proc/net/tcp}-format table whose local port is in
     * {@code ports} and whose state is ESTABLISHED or CLOSE_WAIT. Rows look like
     * {@code "   3: 0100007F:1F90 0100007F:D2A4 01 ..."} (IPv6 rows have 32 hex digits of address).
     */
    static int count(String table, Set<Integer> ports) {
        int open = 0;
        int lineStart = table.indexOf('\n') + 1; // the first line is a header
        while (lineStart > 0 && lineStart < table.length()) {
            int lineEnd = table.indexOf('\n', lineStart);
            if (lineEnd < 0) {
                lineEnd = table.length();
            }
            // fields: "sl:" local remote state ...
            int local = nextField(table, skipField(table, lineStart, lineEnd), lineEnd);
            int remote = nextField(table, skipField(table, local, lineEnd), lineEnd);
            int state = nextField(table, skipField(table, remote, lineEnd), lineEnd);
            if (state + 2 <= lineEnd && local < remote) {
                int colon = table.lastIndexOf(':', remote);
                if (colon > local && colon + 5 <= lineEnd
                        && (table.startsWith(ESTABLISHED, state) || table.startsWith(CLOSE_WAIT, state))
                        && ports.contains(Integer.parseInt(table, colon + 1, colon + 5, 16))) {
                    open++;
                }
            }
            lineStart = lineEnd + 1;
        }
        return open;
    }

    /** Index of the first blank after the field starting at or after {@code from}. */
    private static int skipField(String s, int from, int end) {
        int i = nextField(s, from, end);
        while (i < end && s.charAt(i) != ' ') {
            i++;
        }
        return i;
    }

    /** Index of the first non-blank at or after {@code from}. */
    private static int nextField(String s, int from, int end) {
        int i = from;
        while (i < end && s.charAt(i) == ' ') {
            i++;
        }
        return i;
    }
}
