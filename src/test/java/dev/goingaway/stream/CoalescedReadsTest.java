package dev.goingaway.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A burst of resumes of one room reads its history once; nobody gets less than it asked for. */
class CoalescedReadsTest {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService readers = Executors.newCachedThreadPool();
    private final MemoryStreamStore memory = new MemoryStreamStore(100, Duration.ofMinutes(1));
    private final AtomicInteger reads = new AtomicInteger();
    private final List<Long> readFrom = new ArrayList<>();
    private volatile CountDownLatch hold = new CountDownLatch(0);
    private volatile boolean fail;

    /** The memory store, counting its reads; a read can be held open, or fail. */
    private final StreamStore counting = new StreamStore() {
        @Override
        public Appended append(String stream, Framing frame, Publication publication) {
            return memory.append(stream, frame, publication);
        }

        @Override
        public Range after(String stream, long afterOffset) throws StreamException {
            reads.incrementAndGet();
            synchronized (readFrom) {
                readFrom.add(afterOffset);
            }
            try {
                hold.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (fail) {
                throw new StreamException("store down", null);
            }
            return memory.after(stream, afterOffset);
        }

        @Override
        public void close() {
        }
    };

    @AfterEach
    void stop() {
        timer.shutdownNow();
        readers.shutdownNow();
    }

    private void fill(String stream, int n) {
        for (int i = 0; i < n; i++) {
            memory.append(stream, new Framing("{\"offset\":", "}"), StreamStore.Publication.NONE);
        }
    }

    private static List<Long> offsets(Range r) {
        return r.entries().stream().map(Entry::offset).toList();
    }

    @Test
    void aBurstOfResumesOfOneStreamIsOneReadFromTheLowestPosition() throws Exception {
        fill("room:a", 10);
        CoalescedReads coalesced = new CoalescedReads(counting, timer, readers, 50);
        List<CompletableFuture<Range>> answers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            answers.add(coalesced.after("room:a", 3 + i % 5)); // clients that left at 3, 4, 5, 6, 7
        }
        for (int i = 0; i < 100; i++) {
            Range r = answers.get(i).get(5, TimeUnit.SECONDS);
            long since = 3 + i % 5;
            assertEquals(10, r.topOffset());
            assertEquals(offsets(memory.after("room:a", since)), offsets(r), "entries after " + since + " only");
            assertTrue(r.completeAfter(new Position(r.epoch(), since)));
        }
        assertEquals(1, reads.get(), "one read for the whole burst");
        assertEquals(List.of(3L), readFrom, "from the lowest position asked for");
    }

    @Test
    void eachStreamHasItsOwnRead() throws Exception {
        fill("room:a", 2);
        fill("room:b", 3);
        CoalescedReads coalesced = new CoalescedReads(counting, timer, readers, 20);
        CompletableFuture<Range> a = coalesced.after("room:a", 0);
        CompletableFuture<Range> b = coalesced.after("room:b", 1);
        assertEquals(List.of(1L, 2L), offsets(a.get(5, TimeUnit.SECONDS)));
        assertEquals(List.of(2L, 3L), offsets(b.get(5, TimeUnit.SECONDS)));
        assertEquals(2, reads.get());
    }

    @Test
    void aRequestNeverJoinsAReadThatHasStarted() throws Exception {
        fill("room:a", 4);
        hold = new CountDownLatch(1);
        CoalescedReads coalesced = new CoalescedReads(counting, timer, readers, 10);
        CompletableFuture<Range> early = coalesced.after("room:a", 1);
        while (reads.get() == 0) {
            Thread.onSpinWait(); // the first read has begun and is held open
        }
        fill("room:a", 1); // offset 5, appended after the first read began
        CompletableFuture<Range> late = coalesced.after("room:a", 1);
        hold.countDown();
        assertEquals(List.of(2L, 3L, 4L, 5L), offsets(late.get(5, TimeUnit.SECONDS)), "its own read sees offset 5");
        assertEquals(2, reads.get());
        assertTrue(early.get(5, TimeUnit.SECONDS).topOffset() >= 4);
    }

    @Test
    void aFailedReadFailsEveryRequestOfItsBatch() {
        fill("room:a", 1);
        fail = true;
        CoalescedReads coalesced = new CoalescedReads(counting, timer, readers, 10);
        CompletableFuture<Range> one = coalesced.after("room:a", 0);
        CompletableFuture<Range> two = coalesced.after("room:a", 0);
        for (CompletableFuture<Range> f : List.of(one, two)) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
            assertInstanceOf(StreamException.class, e.getCause());
        }
        assertEquals(1, reads.get());
    }
}
