package dev.goingaway.transport.servlet;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;

/**
 * The frames going out on one connection, and the writer task that writes them: one at a time
 * per connection, on the writer pool, never on Liberty's threads, so no client that stops
 * reading can hold up another.
 *
 * <p>Liberty's upgraded output stream buffers non-blocking writes (32 KiB) and its
 * {@code flush()} is a synchronous socket write even in non-blocking mode, blocking for as long
 * as the client does not read (measured; docs/LIBERTY-FACTS.md). So flushes run inside
 * {@link ForkJoinPool#managedBlock}: a flush stuck on a client that stopped reading makes the
 * pool add a thread instead of starving the other clients. State is guarded by the connection's
 * monitor ({@code lock}), which its close handshake shares.
 */
final class Outgoing implements WriteListener {

    private record Write(byte[] bytes, Consumer<Throwable> done) {
    }

    /** What {@link #end()} leaves to the connection: whether it may close the socket now, and the writes that failed. */
    record Ending(boolean first, boolean closeNow, List<Consumer<Throwable>> failed) {
    }

    private final WebSocketConnection owner;
    private final Object lock;
    private final ForkJoinPool writers;
    private ServletOutputStream out;

    // Guarded by lock.
    private final ArrayDeque<Write> queue = new ArrayDeque<>();
    /** Written to Liberty's buffer, not yet flushed to the socket. */
    private final List<Write> unflushed = new ArrayList<>(4);
    /** A writer task is running or queued for this connection. */
    private boolean scheduled;
    /**
     * The writer task is inside Liberty's output stream (a write, or its synchronous
     * {@code flush()}). Liberty's close must not run meanwhile: closing an upgraded connection
     * while its flush is blocked on a client that does not read leaves the TCP connection open
     * for good (measured, docs/LIBERTY-FACTS.md). The connection then shuts the socket's output
     * under it ({@link TcpClose}), which fails a blocked write at once, and leaves the close to the
     * writer task, which does it when the flush returns.
     */
    private boolean writing;
    private boolean ended;
    /**
     * Set by the container's first onWritePossible; nothing is written before it. Liberty can
     * answer {@code isReady()} false before that first call and then never call back (measured:
     * 3-4 of 200 welcomes written from {@code init} were never sent).
     */
    private boolean writable;

    Outgoing(WebSocketConnection owner, Object lock, ForkJoinPool writers) {
        this.owner = owner;
        this.lock = lock;
        this.writers = writers;
    }

    /** The stream Liberty handed over in {@code init}. */
    void start(ServletOutputStream stream) {
        out = stream;
    }

    /** Liberty takes more now. */
    @Override
    public void onWritePossible() {
        synchronized (lock) {
            writable = true;
        }
        schedule();
    }

    @Override
    public void onError(Throwable t) {
        owner.fail(t);
    }

    boolean ended() {
        synchronized (lock) {
            return ended;
        }
    }

    /** Queues a frame; {@code done} (may be null) runs once it is flushed, or with the failure. */
    void write(byte[] frame, Consumer<Throwable> done) {
        boolean queued;
        synchronized (lock) {
            queued = !ended;
            if (queued) {
                queue.add(new Write(frame, done));
            }
        }
        if (!queued) {
            if (done != null) {
                done.accept(new IOException("connection closed"));
            }
            return;
        }
        schedule();
    }

    /**
     * Marks the connection ended (once) and takes what can no longer be written. A flush under
     * way keeps its frames: the writer task settles them by its outcome (a client that got the
     * bye and the close in one write may answer and hang up before the flush returns: those
     * frames were written, not lost).
     */
    Ending end() {
        synchronized (lock) {
            if (ended) {
                return new Ending(false, false, List.of());
            }
            ended = true;
            List<Consumer<Throwable>> failed = new ArrayList<>();
            if (!writing) {
                failed.addAll(takeUnflushed());
            }
            for (Write w : queue) {
                if (w.done() != null) {
                    failed.add(w.done());
                }
            }
            queue.clear();
            return new Ending(true, !writing, failed);
        }
    }

    /** Starts a writer task for this connection unless one is running or the socket is busy. */
    private void schedule() {
        synchronized (lock) {
            if (scheduled || ended || !writable || (queue.isEmpty() && unflushed.isEmpty())) {
                return;
            }
            scheduled = true;
        }
        try {
            writers.execute(this::writeQueued);
        } catch (RejectedExecutionException e) {
            // the application is stopping and its writer pool with it
            synchronized (lock) {
                scheduled = false;
            }
            owner.fail(e);
        }
    }

    /**
     * The writer task: writes what is queued while Liberty takes it, then flushes and reports
     * those frames done.
     */
    private void writeQueued() {
        List<Consumer<Throwable>> orphaned = null;
        while (true) {
            Write next;
            RuntimeException notReady = null;
            synchronized (lock) {
                boolean ready = false;
                try {
                    ready = !ended && out.isReady();
                } catch (RuntimeException e) {
                    scheduled = false;
                    notReady = e;
                }
                if (notReady != null) {
                    next = null;
                } else if (!ready) {
                    scheduled = false; // Liberty calls onWritePossible when it can take more
                    if (ended) {
                        orphaned = takeUnflushed(); // end() left them to this task
                    }
                    break;
                } else {
                    next = queue.poll();
                    if (next == null && unflushed.isEmpty()) {
                        scheduled = false;
                        return;
                    }
                    if (next != null) {
                        unflushed.add(next);
                    }
                    writing = true;
                }
            }
            if (notReady != null) {
                owner.fail(notReady);
                return;
            }
            List<Consumer<Throwable>> completed = new ArrayList<>();
            try {
                if (next != null) {
                    out.write(next.bytes());
                    continue; // more frames go into the same flush
                }
                Blocking.run(out::flush);
                synchronized (lock) {
                    for (Write w : unflushed) {
                        if (w.done() != null) {
                            completed.add(w.done());
                        }
                    }
                    unflushed.clear();
                }
            } catch (IOException | RuntimeException e) {
                List<Consumer<Throwable>> lost;
                synchronized (lock) {
                    scheduled = false;
                    lost = takeUnflushed();
                }
                doneWriting();
                owner.fail(e);
                for (Consumer<Throwable> done : lost) {
                    done.accept(e);
                }
                return;
            } finally {
                doneWriting();
            }
            for (Consumer<Throwable> done : completed) {
                done.accept(null);
            }
        }
        IOException gone = new IOException("connection closed");
        for (Consumer<Throwable> done : orphaned == null ? List.<Consumer<Throwable>>of() : orphaned) {
            done.accept(gone);
        }
    }

    /** Takes the frames written to Liberty's buffer but not flushed yet; caller holds the lock. */
    private List<Consumer<Throwable>> takeUnflushed() {
        List<Consumer<Throwable>> taken = new ArrayList<>(unflushed.size());
        for (Write w : unflushed) {
            if (w.done() != null) {
                taken.add(w.done());
            }
        }
        unflushed.clear();
        return taken;
    }

    /** The writer task is out of Liberty's stream; closes the connection if it ended meanwhile. */
    private void doneWriting() {
        boolean closeNow;
        synchronized (lock) {
            closeNow = writing && ended;
            writing = false;
        }
        if (closeNow) {
            owner.closeSocket(); // end() left it to this task
        }
    }
}
