package dev.goingaway.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

/**
 * The outbox's ordering and bounds, against a hand-written endpoint that completes sends when
 * the test says so (the real container is exercised by the integration tests).
 */
class OutboxTest {

    /** Records sends; completes them only when {@link #completeNext()} is called. */
    static class ManualRemote implements Connection {
        final List<String> written = new ArrayList<>();
        final List<Consumer<Throwable>> pending = new ArrayList<>();
        int concurrent;
        int maxConcurrent;

        @Override
        public void sendText(String text, Consumer<Throwable> done) {
            written.add(text);
            pending.add(done);
            maxConcurrent = Math.max(maxConcurrent, ++concurrent);
        }

        void completeNext() {
            concurrent--;
            pending.remove(0).accept(null);
        }

        @Override public String id() { return "manual"; }
        @Override public String param(String name) { return null; }
        @Override public boolean originAllowed() { return true; }
        @Override public String origin() { return null; }
        @Override public boolean isOpen() { return true; }
        @Override public void sendPing(ByteBuffer payload) { }
        @Override public void close(CloseCode code, String reason) { }
        @Override public void queueClose(CloseCode code, String reason, long lastFrameDeadlineNanos, long answerDeadlineNanos,
                                         Consumer<Throwable> written) {
            written.accept(null);
        }
        @Override public boolean abort(String why) { return false; }
    }

    /** Completes every send on the calling thread, as some containers do. */
    static final class InlineRemote extends ManualRemote {
        @Override
        public void sendText(String text, Consumer<Throwable> done) {
            written.add(text);
            done.accept(null);
        }
    }

    @Test
    void framesLeaveInOrderOneAtATime() {
        ManualRemote remote = new ManualRemote();
        Outbox box = new Outbox(remote, 10);
        CompletableFuture<Void> a = box.offer("a");
        box.offer("b");
        box.offer("c");
        assertEquals(List.of("a"), remote.written, "only one send in flight");
        remote.completeNext();
        assertTrue(a.isDone(), "first frame's future completes when written");
        remote.completeNext();
        remote.completeNext();
        assertEquals(List.of("a", "b", "c"), remote.written, "FIFO");
        assertEquals(1, remote.maxConcurrent, "never two sends at once");
        assertEquals(0, box.size(), "nothing left queued");
    }

    @Test
    void flushedCompletesOnceTheFramesBeforeItAreWrittenAndSendsNothing() {
        ManualRemote remote = new ManualRemote();
        Outbox box = new Outbox(remote, 10);
        box.offer("a");
        box.offer("b");
        CompletableFuture<Void> flushed = box.flushed();
        CompletableFuture<Void> after = box.offer("c");
        assertFalse(flushed.isDone(), "frames before it still queued");
        remote.completeNext();
        assertFalse(flushed.isDone(), "one still queued");
        remote.completeNext();
        assertTrue(flushed.isDone(), "both written");
        assertEquals(List.of("a", "b", "c"), remote.written, "the marker itself is not sent; the next frame follows");
        remote.completeNext();
        assertTrue(after.isDone(), "frames after the marker flow as usual");
        assertEquals(0, box.size(), "nothing left queued");
    }

    @Test
    void aFullOutboxRefusesWithOverflow() {
        ManualRemote remote = new ManualRemote();
        Outbox box = new Outbox(remote, 2);
        box.offer("1");
        box.offer("2");
        CompletableFuture<Void> third = box.offer("3");
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, third::get,
                "third frame refused");
        assertInstanceOf(Outbox.Overflow.class, e.getCause(), "refused because the client is not reading");
    }

    @Test
    void nothingFollowsTheSealedLastFrameEvenWhenFull() throws Exception {
        ManualRemote remote = new ManualRemote();
        Outbox box = new Outbox(remote, 1);
        box.offer("ack");
        CompletableFuture<Void> bye = box.seal("bye");
        CompletableFuture<Void> late = box.offer("error after bye");
        assertTrue(late.isCompletedExceptionally(), "a frame after the bye is refused");
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, late::get);
        assertInstanceOf(Outbox.Sealed.class, e.getCause(), "refused as sealed");
        remote.completeNext();
        remote.completeNext();
        bye.get();
        assertEquals(List.of("ack", "bye"), remote.written, "the bye is queued even past the limit, and is last");
    }

    @Test
    void inlineCompletionsDoNotRecurse() {
        InlineRemote remote = new InlineRemote();
        Outbox box = new Outbox(remote, 100_000);
        for (int i = 0; i < 50_000; i++) {
            box.offer("f" + i);
        }
        assertEquals(50_000, remote.written.size(), "every frame written without a stack overflow");
    }

    @Test
    void closingFailsWhatIsQueued() {
        ManualRemote remote = new ManualRemote();
        Outbox box = new Outbox(remote, 10);
        box.offer("in flight");
        CompletableFuture<Void> queued = box.offer("queued");
        box.close();
        assertTrue(queued.isCompletedExceptionally(), "queued frame fails on close");
        assertTrue(box.offer("later").isCompletedExceptionally(), "closed outbox refuses");
    }


    @Test
    void whatIsHandedOverAfterTheLastFrameFollowsItAndNothingOvertakesIt() {
        ManualRemote remote = new ManualRemote();
        Outbox outbox = new Outbox(remote, 8);
        outbox.offer("ack-1");
        List<String> atHandOver = new ArrayList<>();
        CompletableFuture<Void> bye = outbox.seal("bye", () -> {
            atHandOver.addAll(remote.written);
            remote.written.add("close-frame");
        });
        assertEquals(List.of("ack-1"), remote.written, "the bye waits for the frame being written");
        assertTrue(atHandOver.isEmpty(), "nothing is handed over before the bye is");
        remote.completeNext();
        assertEquals(List.of("ack-1", "bye"), atHandOver, "the hook runs once the bye is with the peer");
        assertEquals(List.of("ack-1", "bye", "close-frame"), remote.written, "what it gives the peer goes after the bye");
        assertFalse(bye.isDone(), "the bye itself is not written yet");
        remote.completeNext();
        assertTrue(bye.isDone());
    }
}
