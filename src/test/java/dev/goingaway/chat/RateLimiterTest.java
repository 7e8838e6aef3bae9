package dev.goingaway.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RateLimiterTest {

    @Test
    void allowsABurstOfTwiceTheRateThenRefills() {
        long t = 0;
        RateLimiter limiter = new RateLimiter(10, t);
        for (int i = 0; i < 20; i++) {
            assertTrue(limiter.tryAcquire(t), "burst message " + i);
        }
        assertFalse(limiter.tryAcquire(t), "21st in the same instant is refused");
        assertEquals(1, limiter.refusedInARow(), "one refusal counted");
        t += 100_000_000L; // 100 ms later: one token at 10/s
        assertTrue(limiter.tryAcquire(t), "refilled after 100 ms");
        assertEquals(0, limiter.refusedInARow(), "an accepted message resets the refusals");
    }

    @Test
    void theDisconnectIsDecidedOnceEvenIfTheRefusalsStartAgain() {
        long t = 0;
        RateLimiter limiter = new RateLimiter(1, t); // burst 2, disconnect after 2 refusals in a row
        limiter.tryAcquire(t);
        limiter.tryAcquire(t);
        limiter.tryAcquire(t);
        assertFalse(limiter.shouldDisconnect(), "one refusal: not yet");
        limiter.tryAcquire(t);
        assertTrue(limiter.shouldDisconnect(), "two in a row: disconnect");
        assertFalse(limiter.shouldDisconnect(), "decided once");
        t += 1_000_000_000L;
        assertTrue(limiter.tryAcquire(t), "a token refilled while the close is on its way");
        limiter.tryAcquire(t);
        limiter.tryAcquire(t);
        assertFalse(limiter.shouldDisconnect(), "a second run of refusals does not decide it again");
    }

    @Test
    void disconnectThresholdIsOneMoreBurst() {
        assertEquals(100, new RateLimiter(50, 0).disconnectAfter(), "two seconds' worth of refusals");
    }
}
