package dev.goingaway.chat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import dev.goingaway.store.Tally;

/**
 * An in-memory transport's connection, for unit tests of the chat and the drain: a client that
 * reads (every frame is written at once, and it answers the close at once) or one that never
 * reads (nothing is ever written; only {@link #abort} ends it). What happens is appended to a
 * shared journal, so a test can check the order across connections and other fakes.
 */
public final class MemoryConnection implements Connection {

    private final String id;
    private final boolean reads;
    private final List<String> journal;
    private final List<String> frames = new ArrayList<>();
    private final List<Consumer<Throwable>> unwritten = new ArrayList<>();
    private final AtomicBoolean open = new AtomicBoolean(true);

    /** {@code journal} is shared (synchronize on it to read); {@code reads}: whether the client takes its frames. */
    public MemoryConnection(String id, boolean reads, List<String> journal) {
        this.id = id;
        this.reads = reads;
        this.journal = journal;
    }

    /** The chat's state for this connection, as if it had just been opened under {@code sessionId} with {@code total}. */
    public ChatClient joined(String sessionId, long total) {
        return new ChatClient(this, sessionId, Names.DEFAULT_ROOM, Tally.known(sessionId, total, List.of()), 1024, 50, 65536);
    }

    /** The text frames the client has received, in order. */
    public synchronized List<String> frames() {
        return List.copyOf(frames);
    }

    /** Whether the connection is still open (not closed by a handshake, not aborted). */
    public boolean open() {
        return open.get();
    }

    private void log(String event) {
        synchronized (journal) {
            journal.add(id + " " + event);
        }
    }

    @Override
    public void sendText(String text, Consumer<Throwable> done) {
        if (!reads) {
            synchronized (this) {
                unwritten.add(done);
            }
            return;
        }
        synchronized (this) {
            frames.add(text);
        }
        log("text " + text);
        done.accept(null);
    }

    @Override
    public void queueClose(CloseCode code, String reason, long lastFrameDeadlineNanos, long answerDeadlineNanos,
                           Consumer<Throwable> written) {
        if (!reads) {
            synchronized (this) {
                unwritten.add(written); // queued behind frames that never leave
            }
            return;
        }
        log("close " + code.code());
        written.accept(null);
        open.set(false); // the client answers at once
    }

    @Override
    public boolean abort(String why) {
        List<Consumer<Throwable>> failed;
        synchronized (this) {
            failed = new ArrayList<>(unwritten);
            unwritten.clear();
        }
        log("abort");
        open.set(false);
        failed.forEach(done -> done.accept(new java.io.IOException("aborted")));
        return true;
    }

    @Override
    public void close(CloseCode code, String reason) {
        log("close " + code.code());
        open.set(false);
    }

    @Override public String id() { return id; }
    @Override public String param(String name) { return null; }
    @Override public boolean originAllowed() { return true; }
    @Override public String origin() { return null; }
    @Override public boolean isOpen() { return open.get(); }
    @Override public void sendPing(ByteBuffer payload) { }
}
