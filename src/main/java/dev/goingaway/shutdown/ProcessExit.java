package dev.goingaway.shutdown;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ends the JVM after the drain, the quickest way that still reports "ended by SIGTERM" (exit
 * status 143). {@link Runtime#halt} takes the JVM to a final safepoint that waits at least
 * 300 ms for threads blocked in native code, and Liberty's selector threads always are (in
 * {@code epoll_wait}): measured, a halted JVM with such threads is gone 325 ms after the call,
 * one that dies of the signal 20 ms after (docs/LIBERTY-FACTS.md). So this puts SIGTERM's
 * default action back and has {@code kill} send SIGTERM to the process: the kernel ends it at
 * once, and Kubernetes, Docker and a shell see 143 as before.
 *
 * <p>Where that cannot work, it halts: as PID 1 (a container without an init process; the
 * project's Compose file and Deployment give the pod one) the kernel ignores a signal with its
 * default action that the process sends itself, and where {@code /bin/sh} or
 * {@code sun.misc.Signal} is missing the halt is all there is.
 */
final class ProcessExit {

    private static final Logger LOG = Logger.getLogger(ProcessExit.class.getName());
    /** How long {@code kill} may take before the halt goes ahead without it. */
    private static final long KILL_WAIT_MILLIS = 500;

    private ProcessExit() {
    }

    /** Ends the JVM; never returns. */
    static void now(int status) {
        long pid = ProcessHandle.current().pid();
        if (pid != 1) {
            try {
                Signal term = new Signal("TERM");
                Signal.handle(term, SignalHandler.SIG_DFL);
                // The shell's built-in kill: no kill binary needed (a minimal base image may have
                // none), only /bin/sh, which the image's entrypoint is written in.
                Process kill = new ProcessBuilder("/bin/sh", "-c", "kill -TERM " + pid).redirectErrorStream(true).start();
                kill.waitFor(KILL_WAIT_MILLIS, TimeUnit.MILLISECONDS);
                // Still here: the signal was not delivered (yet); the halt below ends the JVM.
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.FINE, "not ending by SIGTERM ({0}); halting", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Runtime.getRuntime().halt(status);
    }
}
