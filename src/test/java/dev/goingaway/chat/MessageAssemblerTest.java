package dev.goingaway.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MessageAssemblerTest {

    @Test
    void aSinglePartIsReturnedAsIs() throws Exception {
        MessageAssembler a = new MessageAssembler(10);
        String part = "0123456789";
        assertSame(part, a.add(part, true), "an unfragmented message of exactly the limit is passed through");
    }

    @Test
    void partsAreJoinedAtTheLastOne() throws Exception {
        MessageAssembler a = new MessageAssembler(10);
        assertNull(a.add("abc", false), "more to come");
        assertNull(a.add("def", false), "more to come");
        assertEquals("abcdefg", a.add("g", true), "joined");
        assertEquals("next", a.add("next", true), "the next message starts empty");
    }

    @Test
    void aMessageOverTheLimitIsRefusedWhenItEndsAndNotKept() throws Exception {
        MessageAssembler a = new MessageAssembler(10);
        assertNull(a.add("123456", false), "under the limit so far");
        assertNull(a.add("789012", false), "over the limit: dropped, refusal waits for the end");
        assertNull(a.add("x".repeat(50), false), "still dropped");
        assertThrows(MessageAssembler.TooBig.class, () -> a.add("end", true), "refused once the message ends");
        assertEquals("ok", a.add("ok", true), "the next message is assembled normally");
    }

    @Test
    void aRefusedMessageThatNeverEndsIsReportedAfterTheDiscardBound() throws Exception {
        int limit = 10;
        MessageAssembler a = new MessageAssembler(limit);
        long sent = 0;
        while (sent <= (long) limit * MessageAssembler.DISCARD_FACTOR - 5) {
            assertNull(a.add("12345", false), "dropped while under the discard bound, sent " + sent);
            sent += 5;
        }
        assertThrows(MessageAssembler.TooBig.class, () -> a.add("12345", false), "reported past the discard bound");
        assertNull(a.add("12345", false), "reported only once");
        assertNull(a.add("12345", true), "and not again at its end");
    }

    @Test
    void theLimitIsInUtf8Bytes() throws Exception {
        MessageAssembler a = new MessageAssembler(6);
        assertEquals("\u20ac\u20ac", a.add("\u20ac\u20ac", true), "two 3-byte characters fit in 6 bytes");
        assertThrows(MessageAssembler.TooBig.class, () -> a.add("\u20ac\u20ac\u20ac", true), "three do not");
        assertEquals(4, MessageAssembler.utf8Length("\ud83d\ude00"), "a surrogate pair is 4 bytes");
        assertEquals(2, MessageAssembler.utf8Length("\u00e9"), "a 2-byte character");
        assertEquals(1, MessageAssembler.utf8Length("a"), "ASCII");
    }
}
