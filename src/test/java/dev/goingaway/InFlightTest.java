package dev.goingaway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class InFlightTest {

    @Test
    void theWaitEndsAtTheDeadlineWithWhatIsStillUnderWay() throws Exception {
        InFlight f = new InFlight();
        f.enter();
        f.enter();
        f.exit();
        assertEquals(1, f.awaitNone(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20)), "one still under way");
    }

    @Test
    void theLastExitWakesTheWaiter() throws Exception {
        InFlight f = new InFlight();
        f.enter();
        CountDownLatch waiting = new CountDownLatch(1);
        Thread finisher = new Thread(() -> {
            try {
                waiting.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            f.exit();
        });
        finisher.start();
        long start = System.nanoTime();
        waiting.countDown();
        assertEquals(0, f.awaitNone(start + TimeUnit.SECONDS.toNanos(30)), "none left");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30), "woken by the exit, not the deadline");
        finisher.join();
    }
}
