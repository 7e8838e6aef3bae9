package dev.goingaway.transport.servlet;

import java.io.IOException;
import java.util.concurrent.ForkJoinPool;

/**
 * Calls on Liberty's upgraded stream that may block on a client that does not read (its
 * synchronous {@code flush()}, its {@code close()}), run so that the writer pool knows and adds
 * a thread instead of starving the other connections.
 */
final class Blocking {

    private Blocking() {
    }

    /** A call on Liberty's stream that may block on the client. */
    interface StreamCall {
        void run() throws Exception;
    }

    /** Runs a call that may block on the client, telling the writer pool so it can compensate. */
    static void run(StreamCall call) throws IOException {
        Exception[] failure = new Exception[1];
        try {
            ForkJoinPool.managedBlock(new ForkJoinPool.ManagedBlocker() {
                private boolean done;

                @Override
                public boolean block() {
                    try {
                        call.run();
                    } catch (Exception e) {
                        failure[0] = e;
                    }
                    done = true;
                    return true;
                }

                @Override
                public boolean isReleasable() {
                    return done;
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure[0] instanceof IOException io) {
            throw io;
        } else if (failure[0] instanceof RuntimeException re) {
            throw re;
        } else if (failure[0] != null) {
            throw new IOException(failure[0]);
        }
    }
}
