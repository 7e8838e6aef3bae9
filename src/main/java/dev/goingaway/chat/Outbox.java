package dev.goingaway.chat;

import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A session's outgoing frames, sent one at a time through the {@link Connection}'s asynchronous write and
 * bounded in length. Nothing ever waits on a client's socket: a client that stops reading
 * fills its own outbox, {@link #offer} then refuses, and the caller closes that client
 * without slowing anyone else. Frames leave in the order they were offered, so an {@code ack}
 * queued before the {@code bye} always reaches the client before it.
 */
public final class Outbox {

    private static final Logger LOG = Logger.getLogger(Outbox.class.getName());

    /** Raised (as a failed future) when the client is not reading fast enough. */
    public static final class Overflow extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Overflow(int limit) {
            super("send queue full (" + limit + " frames): client is not reading");
        }
    }

    /** Raised (as a failed future) for a frame offered after the last one. */
    public static final class Sealed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Sealed() {
            super("the connection's last frame has been queued", null, false, false);
        }
    }

    /** {@code handedOver} runs right after the frame is handed to the peer (the last frame only). */
    private record Pending(String text, CompletableFuture<Void> done, Runnable handedOver) {
    }

    private final Connection remote;
    private final int limit;
    private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicBoolean sending = new AtomicBoolean();
    private volatile boolean closed;
    private volatile boolean sealed;
    /** The thread inside {@link #pump()}, if any. */
    private volatile Thread pumping;
    private volatile long lastProgressNanos = System.nanoTime();

    public Outbox(Connection remote, int limit) {
        this.remote = remote;
        this.limit = limit;
    }

    /**
     * Queues a frame. The future completes when the container has written it, or fails with
     * {@link Overflow} if the client has {@code limit} frames unread, or with the send error.
     */
    public CompletableFuture<Void> offer(String text) {
        return enqueue(text, false, null);
    }

    /**
     * Queues the last frame this connection will ever carry: every later {@link #offer} fails
     * with {@link Sealed}. Used for the {@code bye}, so that nothing can follow it.
     */
    public CompletableFuture<Void> seal(String lastFrame) {
        return enqueue(lastFrame, true, null);
    }

    /**
     * {@link #seal}, and runs {@code handedOver} as soon as the last frame has been handed to the
     * peer (before it is written): whatever the peer is given then goes out after it.
     */
    public CompletableFuture<Void> seal(String lastFrame, Runnable handedOver) {
        return enqueue(lastFrame, true, handedOver);
    }

    public boolean sealed() {
        return sealed;
    }

    /**
     * Completes when every frame queued before this call has been written (or has failed).
     * Queues nothing the client sees; a policy close waits on it so that the answers the
     * client is owed are not overtaken by the close frame.
     */
    public CompletableFuture<Void> flushed() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (this) {
            if (closed) {
                done.completeExceptionally(new IllegalStateException("outbox closed"));
                return done;
            }
            size.incrementAndGet();
            queue.add(new Pending(null, done, null));
        }
        pump();
        return done;
    }

    private CompletableFuture<Void> enqueue(String text, boolean last, Runnable handedOver) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (this) {
            if (closed) {
                done.completeExceptionally(new IllegalStateException("outbox closed"));
                return done;
            }
            if (sealed) {
                done.completeExceptionally(new Sealed());
                return done;
            }
            // The last frame may exceed the limit by one: a full outbox still gets its bye queued.
            if (size.incrementAndGet() > limit && !last) {
                size.decrementAndGet();
                done.completeExceptionally(new Overflow(limit));
                return done;
            }
            queue.add(new Pending(text, done, handedOver));
            sealed = last;
        }
        pump();
        return done;
    }

    /**
     * Sends a ping only if no frame is being written, holding the same turn as the text frames:
     * Liberty refuses a write while another one on the connection is in progress ("write not
     * allowed"), and whichever loses that race is gone. Returns false if the outbox was busy
     * (a connection that is busy writing needs no ping to prove it is alive).
     */
    public boolean tryPing(java.nio.ByteBuffer payload) throws java.io.IOException {
        if (closed || !sending.compareAndSet(false, true)) {
            return false;
        }
        try {
            remote.sendPing(payload);
            return true;
        } finally {
            sending.set(false);
            pump(); // frames offered while the ping held the turn
        }
    }

    /** When the container last finished writing a frame of this outbox. */
    public long lastProgressNanos() {
        return lastProgressNanos;
    }

    /** Frames queued or being written. */
    public int size() {
        return size.get();
    }

    /** Refuses further frames and fails the queued ones; used once the socket is gone. */
    public void close() {
        synchronized (this) {
            closed = true;
        }
        Pending p;
        while ((p = queue.poll()) != null) {
            size.decrementAndGet();
            p.done().completeExceptionally(new IllegalStateException("connection closed"));
        }
    }

    private void pump() {
        // A container that completes a send on the calling thread would otherwise recurse
        // through onSent -> pump once per queued frame; the loop below takes over instead.
        Thread me = Thread.currentThread();
        if (pumping == me) {
            return;
        }
        pumping = me;
        try {
            while (!queue.isEmpty() && sending.compareAndSet(false, true)) {
                Pending p = queue.poll();
                if (p == null) {
                    sending.set(false);
                    continue;
                }
                if (p.text() == null) {
                    // a flushed() marker: every frame before it has been written
                    size.decrementAndGet();
                    sending.set(false);
                    p.done().complete(null);
                    continue;
                }
                try {
                    remote.sendText(p.text(), failure -> onSent(p, failure));
                    if (p.handedOver() != null) {
                        p.handedOver().run();
                    }
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "frame not written, the container refused it: {0}", e.toString());
                    size.decrementAndGet();
                    sending.set(false);
                    p.done().completeExceptionally(e);
                }
            }
        } finally {
            pumping = null;
        }
        // A frame offered by another thread while this one was leaving the loop would
        // otherwise wait for the next offer.
        if (!queue.isEmpty() && !sending.get()) {
            pump();
        }
    }

    private void onSent(Pending p, Throwable failure) {
        size.decrementAndGet();
        sending.set(false);
        if (failure == null) {
            lastProgressNanos = System.nanoTime();
            p.done().complete(null);
        } else {
            if (!closed) {
                // The frame is lost while the connection stays open: say so, it breaks the zero-loss rule.
                LOG.log(Level.WARNING, "frame not written on an open connection: {0}", String.valueOf(failure));
            }
            p.done().completeExceptionally(failure);
        }
        if (closed) {
            close();
        } else {
            pump();
        }
    }
}
