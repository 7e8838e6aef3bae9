package dev.goingaway.shutdown;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Takes SIGTERM and SIGINT before Liberty sees them. On the first signal it runs the drain on
 * the signal's own thread and then calls the handler that was installed before it (the JVM's,
 * which runs the shutdown hooks and so Liberty's stop). A second signal during the drain is
 * ignored and logged: handing it on mid-drain would let Liberty drop the sockets still being
 * closed. When the application stops without a signal, the previous handlers are put back so
 * a redeployed application does not chain to a dead one.
 */
final class SignalTrap {

    private static final Logger LOG = Logger.getLogger(SignalTrap.class.getName());
    private static final String[] SIGNALS = {"TERM", "INT"};

    private final Runnable onSignal;
    private final AtomicBoolean fired = new AtomicBoolean();
    private final SignalHandler[] previous = new SignalHandler[SIGNALS.length];
    private final Signal[] installed = new Signal[SIGNALS.length];
    private String state = "not installed";

    SignalTrap(Runnable onSignal) {
        this.onSignal = onSignal;
    }

    /** Installs the handlers; returns false (and says why, loudly) if the JVM refuses. */
    synchronized boolean install() {
        boolean any = false;
        for (int i = 0; i < SIGNALS.length; i++) {
            try {
                Signal signal = new Signal(SIGNALS[i]);
                previous[i] = Signal.handle(signal, this::handle);
                installed[i] = signal;
                any = true;
            } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
                // -Xrs, or a JVM without sun.misc.Signal: the drain then only runs on application stop,
                // after Liberty has already dropped the sockets.
                LOG.log(Level.SEVERE, "cannot handle SIG{0} ({1}); graceful shutdown on that signal is NOT armed",
                        new Object[] {SIGNALS[i], e.toString()});
            }
        }
        state = any ? (installed[0] != null ? "installed" : "partial") : "unavailable";
        return installed[0] != null;
    }

    synchronized String state() {
        return state;
    }

    /** Whether a signal has arrived. */
    boolean fired() {
        return fired.get();
    }

    private void handle(Signal signal) {
        if (!fired.compareAndSet(false, true)) {
            LOG.log(Level.WARNING, "SIG{0} ignored: a drain is already running and will stop the server when done",
                    signal.getName());
            return;
        }
        try {
            onSignal.run();
        } catch (RuntimeException | Error e) {
            LOG.log(Level.SEVERE, "drain failed; stopping the server anyway", e);
        } finally {
            handOn(signal);
        }
    }

    private void handOn(Signal signal) {
        SignalHandler next = null;
        synchronized (this) {
            for (int i = 0; i < SIGNALS.length; i++) {
                if (installed[i] != null && installed[i].getName().equals(signal.getName())) {
                    next = previous[i];
                }
            }
        }
        try {
            if (next != null && next != SignalHandler.SIG_IGN && next != SignalHandler.SIG_DFL) {
                next.handle(signal);
                return;
            }
        } catch (UnsupportedOperationException e) {
            LOG.log(Level.FINE, "previous handler is native; exiting directly");
        }
        System.exit(128 + signal.getNumber());
    }

    /** Puts the previous handlers back (application stop without a signal). */
    synchronized void uninstall() {
        for (int i = 0; i < SIGNALS.length; i++) {
            if (installed[i] != null && previous[i] != null) {
                try {
                    Signal.handle(installed[i], previous[i]);
                } catch (IllegalArgumentException e) {
                    LOG.log(Level.WARNING, "could not restore the SIG{0} handler: {1}", new Object[] {SIGNALS[i], e.toString()});
                }
                installed[i] = null;
            }
        }
        state = "uninstalled";
    }
}
