package probe;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;

import sun.misc.Signal;

/**
 * SIGTERM: bye + 1001 to every open probe connection from a few threads, wait (at most 2 s)
 * until every client's close reply has closed its connection, print the times, then end the
 * process: {@code Runtime.halt} by default, or with {@code -Dprobe.exit=signal} by dying of
 * SIGTERM itself (default action restored, sent by {@code /bin/sh}'s kill).
 */
@WebListener
public class Shutdown implements ServletContextListener {

    static volatile boolean DRAINING;

    @Override
    public void contextInitialized(ServletContextEvent sce) {
        Signal.handle(new Signal("TERM"), s -> drain());
    }

    private static void drain() {
        long t0 = System.nanoTime();
        long epoch0 = System.currentTimeMillis();
        long cpu0 = cpuNanos();
        DRAINING = true;
        List<ProbeConnection> all = new ArrayList<>(ProbeConnection.OPEN);
        int threads = Integer.getInteger("probe.threads", 2);
        CountDownLatch sent = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            int first = t;
            Thread th = new Thread(() -> {
                for (int i = first; i < all.size(); i += threads) {
                    all.get(i).goAway();
                }
                sent.countDown();
            }, "probe-bye-" + t);
            th.start();
        }
        try {
            sent.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long byesQueued = System.nanoTime();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(2);
        while (!ProbeConnection.OPEN.isEmpty() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        long end = System.nanoTime();
        System.out.printf("probe_drain connections=%d left_open=%d byes_queued_ms=%d last_write_ms=%d last_closed_ms=%d drain_ms=%d cpu_ms=%d%n",
                all.size(), ProbeConnection.OPEN.size(), ms(byesQueued - t0),
                ms(ProbeConnection.LAST_WRITE_NANOS.get() - t0), ms(ProbeConnection.LAST_CLOSED_NANOS.get() - t0), ms(end - t0),
                ms(cpuNanos() - cpu0));
        System.out.printf("probe_epoch signal=%d halt=%d%n", epoch0, System.currentTimeMillis());
        System.out.flush();
        if ("signal".equals(System.getProperty("probe.exit"))) {
            // HotSpot's exit (Runtime.halt too) waits up to 300 ms for threads in native code to
            // block, and Liberty's selector threads sit in epoll_wait: dying of the signal does not
            // wait. (Not possible as PID 1: the kernel ignores a default-action signal there.)
            Signal term = new Signal("TERM");
            Signal.handle(term, sun.misc.SignalHandler.SIG_DFL);
            try {
                new ProcessBuilder("/bin/sh", "-c", "kill -TERM " + ProcessHandle.current().pid()).start();
                LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
            } catch (java.io.IOException e) {
                e.printStackTrace();
            }
        }
        Runtime.getRuntime().halt(143);
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
