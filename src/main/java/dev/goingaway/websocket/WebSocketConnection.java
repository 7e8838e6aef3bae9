package dev.goingaway.websocket;

import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpUpgradeHandler;
import jakarta.servlet.http.WebConnection;

import dev.goingaway.chat.ChatService;
import dev.goingaway.chat.CloseCode;
import dev.goingaway.chat.Peer;

/**
 * One WebSocket connection on a Servlet upgrade, framed by this class: the chat's {@link Peer}
 * without Liberty's WebSocket layer. Liberty calls {@link #read()} when bytes arrive; frames
 * go out through a writer task ({@link #drain()}) on the writer pool, never on Liberty's
 * threads, so no client that stops reading can hold up another. {@link #close(CloseCode, String)}
 * waits, bounded, for its close frame to be written.
 *
 * <p>The close handshake: whoever closes first sends a close frame; the other side answers;
 * the TCP connection is ended once both frames have passed (or when the answer does not come
 * within the close timeout). The chat hears of the end exactly once.
 */
public class WebSocketConnection implements HttpUpgradeHandler, Peer {

    private static final Logger LOG = Logger.getLogger(WebSocketConnection.class.getName());
    private static final AtomicLong IDS = new AtomicLong();
    /** Connections whose TCP connection this class has not ended yet. */
    private static final Set<WebSocketConnection> OPEN = ConcurrentHashMap.newKeySet();
    /**
     * Set when the process is about to end (a signal's drain before the JVM ends itself): a
     * connection whose close handshake is complete is then counted as ended but its socket is left
     * to the process exit instead of Liberty's close. The client already has everything, the end
     * of the stream included (sent right behind the close frame), and its answer has been read;
     * Liberty's close of an upgraded connection (a keep-alive read, a dispatch for its end, the
     * channel's teardown) would only take processor time from the clients still being said
     * goodbye to.
     */
    private static volatile boolean processEnding;
    /** Reads run on Liberty's threads; one buffer per thread, none per idle connection. */
    private static final ThreadLocal<byte[]> READ_BUFFER = ThreadLocal.withInitial(() -> new byte[16 * 1024]);

    private record Write(byte[] bytes, Consumer<Throwable> done) {
    }

    private final String id = "w" + Long.toString(IDS.incrementAndGet(), 36);
    private Map<String, String> params = Map.of();
    private boolean originAllowed = true;
    private String origin;
    private ChatService chat;
    private ScheduledExecutorService timers;
    private ForkJoinPool writers;
    private long closeTimeoutMillis;
    private FrameParser parser;

    private WebConnection connection;
    private ServletInputStream in;
    private ServletOutputStream out;

    // Writes; guarded by this.
    private final ArrayDeque<Write> queue = new ArrayDeque<>();
    /** Written to Liberty's buffer, not yet flushed to the socket. */
    private final List<Write> unflushed = new ArrayList<>(4);
    /** A writer task is running or queued for this connection. */
    private boolean scheduled;
    /**
     * The writer task is inside Liberty's output stream (a write, or its synchronous
     * {@code flush()}). Liberty's close must not run meanwhile: closing an upgraded connection
     * while its flush is blocked on a client that does not read leaves the TCP connection open
     * for good (measured, docs/LIBERTY-FACTS.md). {@link #end()} then shuts the socket's output
     * under it ({@link TcpClose}), which fails a blocked write at once, and leaves the close to the
     * writer task, which does it when the flush returns (where the socket cannot be reached: at
     * Liberty's upgrade write timeout, server.xml).
     */
    private boolean writing;
    private boolean ended;
    private boolean counted;
    /**
     * Set by the container's first onWritePossible; nothing is written before it. Liberty can
     * answer {@code isReady()} false before that first call and then never call back (measured:
     * 3-4 of 200 welcomes written from {@code init} were never sent).
     */
    private boolean writable;

    private volatile boolean closeSent;
    private volatile boolean closeReceived;
    private volatile boolean opening;
    private final CompletableFuture<Void> closeWritten = new CompletableFuture<>();
    private final AtomicBoolean reported = new AtomicBoolean();

    /** Made by the container in {@code HttpServletRequest.upgrade}. */
    public WebSocketConnection() {
    }

    /** What the handshake learned; called by the servlet before the container calls {@link #init}. */
    void prepare(Map<String, String> params, boolean originAllowed, String origin, ChatService chat,
                 ScheduledExecutorService timers, ForkJoinPool writers, int maxFrameBytes, long closeTimeoutMillis) {
        this.writers = writers;
        this.params = params;
        this.originAllowed = originAllowed;
        this.origin = origin;
        this.chat = chat;
        this.timers = timers;
        this.closeTimeoutMillis = closeTimeoutMillis;
        this.parser = new FrameParser(maxFrameBytes, new Reader());
    }

    @Override
    public void init(WebConnection wc) {
        connection = wc;
        try {
            in = wc.getInputStream();
            out = wc.getOutputStream();
        } catch (IOException e) {
            abort(e);
            return;
        }
        synchronized (this) {
            counted = !ended;
        }
        if (counted) {
            OPEN.add(this);
        }
        out.setWriteListener(new WriteListener() {
            @Override
            public void onWritePossible() {
                synchronized (WebSocketConnection.this) {
                    writable = true;
                }
                schedule();
            }

            @Override
            public void onError(Throwable t) {
                abort(t);
            }
        });
        opening = true;
        try {
            chat.open(this);
        } finally {
            opening = false;
        }
        in.setReadListener(new ReadListener() {
            @Override
            public void onDataAvailable() {
                read();
            }

            @Override
            public void onAllDataRead() {
                ended("the client closed the connection");
            }

            @Override
            public void onError(Throwable t) {
                abort(t);
            }
        });
    }

    @Override
    public void destroy() {
        end();
        report(1006, "connection destroyed");
    }

    /**
     * Ends every connection still open, without a close frame: the application is going away
     * (its drain has already said bye and sent 1001 to each of them).
     */
    static void endAll() {
        for (WebSocketConnection c : OPEN) {
            c.end();
            c.report(1006, "application stopped");
        }
    }

    /** The JVM ends once the current drain is done: see {@link #processEnding}. */
    public static void processEnding() {
        processEnding = true;
    }

    /**
     * Waits until at most {@code expected} connections are open, or the deadline; returns how
     * many are. A counter read every 5 ms: unlike the kernel's socket tables, free to poll.
     */
    public static int awaitOpenAtMost(int expected, long deadlineNanos) {
        int open = OPEN.size();
        while (open > expected && System.nanoTime() < deadlineNanos) {
            LockSupport.parkNanos(Math.min(TimeUnit.MILLISECONDS.toNanos(5), deadlineNanos - System.nanoTime()));
            open = OPEN.size();
        }
        return open;
    }

    // ---- Peer -----------------------------------------------------------------------------------

    @Override
    public String id() {
        return id;
    }

    @Override
    public String param(String name) {
        return params.get(name);
    }

    @Override
    public boolean originAllowed() {
        return originAllowed;
    }

    @Override
    public String origin() {
        return origin;
    }

    @Override
    public boolean isOpen() {
        return !closeSent && !isEnded();
    }

    @Override
    public void sendText(String text, Consumer<Throwable> done) {
        if (closeSent) {
            done.accept(new IOException("the connection is closing"));
            return;
        }
        write(FrameWriter.text(text), done);
    }

    @Override
    public void sendPing(ByteBuffer payload) {
        byte[] b = new byte[payload.remaining()];
        payload.get(b);
        write(FrameWriter.ping(b), null);
    }

    /**
     * Sends the close frame and returns once it is written (at most the close timeout); the
     * connection ends when the client answers, or at the timeout. During {@link #init} (a
     * refused connection) it only queues the frame: the write it would wait for needs the
     * container thread that is running init.
     */
    @Override
    public void close(CloseCode code, String reason) throws IOException {
        if (!startClose(code, reason, closeTimeoutMillis, null)) {
            return;
        }
        if (opening) {
            return;
        }
        try {
            closeWritten.get(closeTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing the close frame", e);
        } catch (ExecutionException e) {
            if (closeReceived) {
                return; // the client answered our close and hung up before the write was seen complete
            }
            throw new IOException("close frame not written: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("close frame not written within " + closeTimeoutMillis + " ms (client not reading)");
        }
    }

    /**
     * Queues the close frame behind what is queued (the drain's bye) and returns at once: the
     * writer task then sends both in one flush. The answer is awaited until the given deadline
     * (the drain's), not only the close timeout: a client that reads late must not have its
     * connection ended before it has read what came before the close frame.
     */
    @Override
    public void queueClose(CloseCode code, String reason, long answerDeadlineNanos, Consumer<Throwable> written) {
        long answerMillis = Math.max(closeTimeoutMillis, TimeUnit.NANOSECONDS.toMillis(answerDeadlineNanos - System.nanoTime()));
        if (!startClose(code, reason, answerMillis, written)) {
            written.accept(new IOException("the connection is already closing"));
        }
    }

    @Override
    public boolean canQueueClose() {
        return true;
    }

    /**
     * Queues the close frame (once) and arms the close timeout; false if a close was already
     * under way or the connection has ended.
     */
    private boolean startClose(CloseCode code, String reason, long answerMillis, Consumer<Throwable> written) {
        synchronized (this) {
            if (closeSent || ended) {
                return false;
            }
            closeSent = true;
        }
        write(FrameWriter.close(code.code(), reason), failure -> {
            if (failure == null) {
                closeWritten.complete(null);
            } else {
                closeWritten.completeExceptionally(failure);
            }
            // The TCP connection stays whole until the client answers (or the close timeout):
            // a client that reads late may still be writing, and once the stream has ended a
            // proxy or the kernel answers its writes with a reset, which the JDK's client (and
            // others) act on before delivering the frames it has not read yet: the bye among
            // them (docs/LIBERTY-FACTS.md, "A reset before the bye is read").
            if (closeReceived || failure != null) {
                end();
            }
            if (written != null) {
                written.accept(failure);
            }
        });
        scheduleQuietly(() -> {
            if (!isEnded()) {
                LOG.log(Level.FINE, "connection {0}: no close reply within {1} ms, ending it", new Object[] {id, answerMillis});
                end();
                report(1006, "no close reply");
            }
        }, answerMillis);
        return true;
    }

    /**
     * Ends the connection now. A writer blocked on a client that does not read is released
     * (see {@link #end()}); the client gets whatever the kernel already holds, then the end.
     */
    @Override
    public boolean abort(String why) {
        end();
        report(1006, why);
        return true;
    }

    /** Runs the close timeout unless the timer is gone (application stop ends every connection). */
    private void scheduleQuietly(Runnable timeout, long millis) {
        try {
            timers.schedule(timeout, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.log(Level.FINEST, "connection {0}: no close timer, the application is stopping", id);
        }
    }

    // ---- reading --------------------------------------------------------------------------------

    private void read() {
        byte[] b = READ_BUFFER.get();
        try {
            while (!isEnded() && in.isReady()) {
                int n = in.read(b);
                if (n < 0) {
                    ended("the client closed the connection");
                    return;
                }
                if (!closeReceived) {
                    parser.feed(b, 0, n);
                }
            }
        } catch (FrameParser.Violation v) {
            LOG.log(Level.FINE, "connection {0}: protocol error, closing with {1}: {2}", new Object[] {id, v.code, v.getMessage()});
            violated(v);
        } catch (IOException e) {
            abort(e);
        }
    }

    /** The client broke the protocol: answer with the code, stop reading, end when written. */
    private void violated(FrameParser.Violation v) {
        clientDone(v.code, v.getMessage(), v.getMessage());
    }

    /**
     * The client's side is finished (its close frame, or a protocol violation): nothing more is
     * read; a close frame answers unless ours is already out; the TCP connection ends once the
     * close frames have passed (or at the close timeout); the chat hears of it once.
     */
    private void clientDone(int code, String answer, String reported) {
        closeReceived = true;
        boolean send;
        synchronized (this) {
            send = !closeSent && !ended;
            closeSent = true;
        }
        if (send) {
            write(FrameWriter.close(code, answer), failure -> end());
        } else if (closeWritten.isDone()) {
            end();
        } // else: our own close frame is still being written; its completion ends the connection
        report(code, reported);
    }

    /** What the frames mean, in order, on the reading thread. */
    private final class Reader implements FrameParser.Handler {
        @Override
        public void text(String part, boolean last) {
            if (!closeSent) {
                chat.receivePart(WebSocketConnection.this, part, last);
            }
        }

        @Override
        public void binary() {
            if (!closeSent) {
                chat.binary(WebSocketConnection.this);
            }
        }

        @Override
        public void ping(byte[] payload) {
            if (!closeSent) {
                write(FrameWriter.pong(payload), null);
            }
        }

        @Override
        public void pong() {
            chat.pong(WebSocketConnection.this);
        }

        @Override
        public void close(int code, String reason) {
            clientDone(code, "", reason);
        }
    }

    // ---- writing --------------------------------------------------------------------------------

    private void write(byte[] frame, Consumer<Throwable> done) {
        boolean queued;
        synchronized (this) {
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

    /** Starts a writer task for this connection unless one is running or the socket is busy. */
    private void schedule() {
        synchronized (this) {
            if (scheduled || ended || !writable || (queue.isEmpty() && unflushed.isEmpty())) {
                return;
            }
            scheduled = true;
        }
        try {
            writers.execute(this::drain);
        } catch (RejectedExecutionException e) {
            // the application is stopping and its writer pool with it
            synchronized (this) {
                scheduled = false;
            }
            abort(e);
        }
    }

    /**
     * The writer task, one at a time per connection: writes what is queued while Liberty takes
     * it, then flushes and reports those frames done. Liberty's upgraded output stream buffers
     * non-blocking writes (32 KiB) and its {@code flush()} is a synchronous socket write even in
     * non-blocking mode, blocking for as long as the client does not read (measured; see
     * docs/LIBERTY-FACTS.md). So flushes never run on Liberty's threads: they run here, on the
     * writer pool, inside {@link ForkJoinPool#managedBlock} so that a flush stuck on a client
     * that stopped reading makes the pool add a thread instead of starving the other clients.
     */
    private void drain() {
        List<Consumer<Throwable>> orphaned = null;
        while (true) {
            Write next;
            synchronized (this) {
                boolean ready;
                try {
                    ready = !ended && out.isReady();
                } catch (RuntimeException e) {
                    scheduled = false;
                    abort(e);
                    return;
                }
                if (!ready) {
                    scheduled = false; // Liberty calls onWritePossible when it can take more
                    if (ended) {
                        orphaned = takeUnflushed(); // end() left them to this task
                    }
                }
                if (orphaned != null || !ready) {
                    break;
                }
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
            List<Consumer<Throwable>> completed = new ArrayList<>();
            try {
                if (next != null) {
                    out.write(next.bytes());
                    continue; // more frames go into the same flush
                }
                flush();
                synchronized (this) {
                    for (Write w : unflushed) {
                        if (w.done() != null) {
                            completed.add(w.done());
                        }
                    }
                    unflushed.clear();
                }
            } catch (IOException | RuntimeException e) {
                List<Consumer<Throwable>> lost;
                synchronized (this) {
                    scheduled = false;
                    lost = takeUnflushed();
                }
                doneWriting();
                abort(e);
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
        if (orphaned != null) {
            IOException gone = new IOException("connection closed");
            for (Consumer<Throwable> done : orphaned) {
                done.accept(gone);
            }
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
        synchronized (this) {
            closeNow = writing && ended;
            writing = false;
        }
        if (closeNow) {
            closeConnection(); // end() left it to this task
        }
    }

    private void flush() throws IOException {
        IOException[] failure = new IOException[1];
        blocking(() -> {
            try {
                out.flush();
            } catch (IOException e) {
                failure[0] = e;
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
    }

    /** Runs a call that may block on the client, telling the writer pool so it can compensate. */
    private static void blocking(Runnable call) {
        try {
            ForkJoinPool.managedBlock(new ForkJoinPool.ManagedBlocker() {
                private boolean done;

                @Override
                public boolean block() {
                    call.run();
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
    }

    // ---- ending ---------------------------------------------------------------------------------

    private synchronized boolean isEnded() {
        return ended;
    }

    /**
     * Ends the TCP connection (once) and fails whatever was still queued. Liberty's close runs
     * on the writer pool, never on the caller; if the writer task is inside a flush, it closes
     * the connection when that flush returns (see {@link #writing}).
     */
    private void end() {
        List<Consumer<Throwable>> failed = new ArrayList<>();
        boolean closeNow;
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            closeNow = !writing;
            if (counted) {
                OPEN.remove(this);
            }
            if (!writing) {
                failed.addAll(takeUnflushed());
            } // else: a flush of them is under way; the writer task settles them by its outcome
                // (a client that got the bye and the close in one write may answer and hang up
                // before the flush returns: those frames were written, not lost)
            for (Write w : queue) {
                if (w.done() != null) {
                    failed.add(w.done());
                }
            }
            queue.clear();
        }
        closeWritten.completeExceptionally(new IOException("connection ended"));
        boolean handshakeDone = closeReceived && !closeWritten.isCompletedExceptionally();
        if (connection != null && processEnding && closeNow && handshakeDone) {
            // Left to the process exit; the client, whose answer has been read, gets the end of
            // the stream now rather than at the exit.
            try {
                writers.execute(() -> TcpClose.shutdownOutput(TcpClose.socket(connection)));
            } catch (RejectedExecutionException e) {
                LOG.log(Level.FINEST, "connection {0}: left to the process exit", id);
            }
        } else if (connection != null) {
            try {
                if (closeNow) {
                    writers.execute(this::closeConnection);
                } else {
                    // The writer task is inside Liberty's stream, maybe blocked on a client that
                    // does not read: end the socket under it; the task closes the rest.
                    writers.execute(() -> TcpClose.shutdownOutput(TcpClose.socket(connection)));
                }
            } catch (RejectedExecutionException e) {
                LOG.log(Level.FINEST, "connection {0}: not closed, the application is stopping", id);
            }
        }
        IOException gone = new IOException("connection closed");
        for (Consumer<Throwable> done : failed) {
            done.accept(gone);
        }
    }

    /**
     * Liberty's close of the upgraded connection. It flushes what its stream still buffers, which
     * can block on a client that stopped reading (until the upgrade write timeout), so it runs
     * on the writer pool as a managed block.
     */
    private void closeConnection() {
        if (connection == null) {
            return;
        }
        Socket socket = TcpClose.socket(connection);
        blocking(() -> {
            try {
                connection.close();
            } catch (Exception e) {
                LOG.log(Level.FINEST, "connection {0}: close: {1}", new Object[] {id, e.toString()});
            }
        });
        TcpClose.shutdown(socket); // Liberty's close leaves the socket open (TcpClose)
    }

    /** The client went away without a close frame (or after its own). */
    private void ended(String why) {
        end();
        report(1006, why);
    }

    private void abort(Throwable t) {
        end();
        if (reported.compareAndSet(false, true) && chat != null) {
            chat.failed(this, t);
        }
    }

    /** Tells the chat, once, that this connection is gone. */
    private void report(int code, String reason) {
        if (reported.compareAndSet(false, true) && chat != null) {
            chat.closed(this, code, reason);
        }
    }
}
