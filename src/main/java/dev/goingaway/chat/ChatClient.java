package dev.goingaway.chat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;


import dev.goingaway.store.Tally;

/**
 * The chat's state for one open connection: which session it carries, in which room, its outbox
 * and its rate limit (docs/ARCHITECTURE.md, glossary). State that must outlive the container's
 * view of the socket lives here, not in the container's per-connection properties (Liberty may
 * clear those while tearing a connection down).
 */
public final class ChatClient {

    private final Connection connection;
    private final String connectionId;
    private final String sessionId;
    private final String room;
    private final Tally tally;
    private final Outbox outbox;
    private final RateLimiter limiter;
    private final MessageAssembler assembler;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final Cursor roomCursor = new Cursor();
    private final Cursor broadcastCursor = new Cursor();
    private volatile long lastPongNanos;
    /** Frames offered before the welcome went out, in order; null once it has. Guarded by this. */
    private volatile List<Held> held = new ArrayList<>();

    private record Held(String frame, CompletableFuture<Void> done) {
    }

    /** The last answer (ack or error) queued or waiting to be; guarded by this. */
    private CompletableFuture<Void> answers = CompletableFuture.completedFuture(null);

    ChatClient(Connection connection, String sessionId, String room, Tally tally, int sendQueueLimit, int rateLimit,
               int maxMessageBytes) {
        this.connection = connection;
        this.connectionId = connection.id();
        this.sessionId = sessionId;
        this.room = room;
        this.tally = tally;
        this.outbox = new Outbox(connection, sendQueueLimit);
        long now = System.nanoTime();
        this.limiter = new RateLimiter(rateLimit, now);
        this.assembler = new MessageAssembler(maxMessageBytes);
        this.lastPongNanos = now;
    }

    /** The container's id of the socket. */
    public String connectionId() {
        return connectionId;
    }

    /** The chat session id (survives reconnects). */
    public String sessionId() {
        return sessionId;
    }

    public String room() {
        return room;
    }

    public Tally tally() {
        return tally;
    }

    public long total() {
        return tally.total();
    }

    /**
     * Queues a frame; see {@link Outbox#offer}. Until the welcome has gone out (it waits for the
     * connection's catch-up) frames are held, so the welcome is always the first.
     */
    public CompletableFuture<Void> send(String frame) {
        if (held != null) {
            synchronized (this) {
                if (held != null) {
                    CompletableFuture<Void> done = new CompletableFuture<>();
                    held.add(new Held(frame, done));
                    return done;
                }
            }
        }
        return outbox.offer(frame);
    }

    /** Queues the welcome and the frames that must come right after it, then what was held. */
    synchronized void welcome(List<String> first) {
        for (String frame : first) {
            outbox.offer(frame);
        }
        releaseHeld();
    }

    /**
     * Runs {@code send} (which queues an answer) once {@code ready} is done and every earlier
     * answer of this connection has been queued: answers leave in the order the messages came,
     * though a message's ack waits for its append and a later message's error does not.
     * {@code send} runs on the thread that completes the last of them (this one, if none is pending).
     */
    CompletableFuture<Void> answerInOrder(CompletableFuture<?> ready, Runnable send) {
        synchronized (this) {
            answers = CompletableFuture.allOf(answers, ready).handle((v, e) -> {
                send.run();
                return null;
            });
            return answers;
        }
    }

    /** Completes once every answer asked for so far has been queued. */
    synchronized CompletableFuture<Void> answersQueued() {
        return answers;
    }


    private synchronized void releaseHeld() {
        List<Held> h = held;
        held = null;
        if (h != null) {
            for (Held f : h) {
                outbox.offer(f.frame()).whenComplete((v, e) -> {
                    if (e == null) {
                        f.done().complete(null);
                    } else {
                        f.done().completeExceptionally(e);
                    }
                });
            }
        }
    }

    Cursor roomCursor() {
        return roomCursor;
    }

    Cursor broadcastCursor() {
        return broadcastCursor;
    }

    /**
     * Queues the last frame and, right behind it, the close frame, without blocking (the
     * transport writes both in one go when it can). Returns the close frame's future; the last
     * frame's goes to {@code lastWritten}. See {@link Connection#queueClose} for the deadlines.
     */
    public CompletableFuture<Void> sendLastThenClose(String frame, CloseCode code, String reason, long lastFrameDeadlineNanos,
                                                     long answerDeadlineNanos, CompletableFuture<Void> lastWritten) {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        releaseHeld(); // answers owed before the welcome went out still precede the bye
        outbox.seal(frame, () -> {
            if (!closing.compareAndSet(false, true)) {
                closed.completeExceptionally(new IllegalStateException("already closing"));
                return;
            }
            connection.queueClose(code, reason, lastFrameDeadlineNanos, answerDeadlineNanos, failure -> {
                outbox.close();
                if (failure == null) {
                    closed.complete(null);
                } else {
                    closed.completeExceptionally(failure);
                }
            });
        }).whenComplete((v, e) -> {
            if (e == null) {
                lastWritten.complete(null);
            } else {
                lastWritten.completeExceptionally(e);
                closed.completeExceptionally(e); // never handed over: no close was queued
            }
        });
        return closed;
    }

    /** Completes when the frames queued so far have been written; see {@link Outbox#flushed}. */
    CompletableFuture<Void> flushed() {
        return outbox.flushed();
    }

    /** A heartbeat ping, unless a frame is being written right now (see {@link Outbox#tryPing}). */
    public boolean tryPing(java.nio.ByteBuffer payload) throws IOException {
        return outbox.tryPing(payload);
    }

    /** Whether the last frame (the bye) has been queued. */
    public boolean sealed() {
        return outbox.sealed();
    }

    public int queued() {
        return outbox.size();
    }

    RateLimiter limiter() {
        return limiter;
    }

    MessageAssembler assembler() {
        return assembler;
    }


    /** The last sign that the peer is alive: a pong, or a frame the container finished writing. */
    public long lastSeenNanos() {
        return Math.max(lastPongNanos, outbox.lastProgressNanos());
    }

    void ponged(long nanos) {
        lastPongNanos = nanos;
    }

    /** Whether a close has been started (by the server) on this connection. */
    public boolean closing() {
        return closing.get();
    }

    /**
     * Closes the socket with a code, once; later calls do nothing and return false. Blocks only
     * as long as the container's close does; callers on a deadline run it on their own executor.
     */
    public boolean close(CloseCode code, String reason) throws IOException {
        if (!closing.compareAndSet(false, true)) {
            return false;
        }
        try {
            if (connection.isOpen()) {
                connection.close(code, reason);
            }
            return true;
        } finally {
            outbox.close();
        }
    }

    /**
     * Ends the connection without waiting for its close handshake (see {@link Connection#abort});
     * returns whether the transport could.
     */
    public boolean abort(String why) {
        closing.set(true);
        try {
            return connection.abort(why);
        } finally {
            outbox.close();
        }
    }

    /** Marks the connection as gone without sending anything (the peer closed or failed). */
    void gone() {
        closing.set(true);
        outbox.close();
    }
}
