package dev.goingaway.transport.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The client-frame reader against hand-built frames: what RFC 6455 lets through and what it does not. */
class FrameParserTest {

    /** Records the parser's calls as strings, in order. */
    static final class Recorder implements FrameParser.Handler {
        final List<String> events = new ArrayList<>();

        @Override public void text(String part, boolean last) { events.add("text:" + part + (last ? "|" : "+")); }
        @Override public void binary(byte[] part, boolean first, boolean last) {
            events.add("binary:" + java.util.Arrays.toString(part) + (first ? "<" : "") + (last ? ">" : ""));
        }
        @Override public void ping(byte[] payload) { events.add("ping:" + new String(payload, StandardCharsets.UTF_8)); }
        @Override public void pong() { events.add("pong"); }
        @Override public void close(int code, String reason) { events.add("close:" + code + ":" + reason); }
    }

    private static final Random RANDOM = new Random(42);

    /** A client frame: masked with a random key, as browsers send them. */
    static byte[] frame(boolean fin, int opcode, byte[] payload) {
        return frame(fin, opcode, payload, true, 0);
    }

    static byte[] frame(boolean fin, int opcode, byte[] payload, boolean masked, int rsv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((fin ? 0x80 : 0) | rsv | opcode);
        int n = payload.length;
        int maskBit = masked ? 0x80 : 0;
        if (n < 126) {
            out.write(maskBit | n);
        } else if (n <= 0xffff) {
            out.write(maskBit | 126);
            out.write(n >> 8);
            out.write(n & 0xff);
        } else {
            out.write(maskBit | 127);
            out.writeBytes(ByteBuffer.allocate(8).putLong(n).array());
        }
        byte[] key = new byte[4];
        RANDOM.nextBytes(key);
        if (masked) {
            out.writeBytes(key);
        }
        for (int i = 0; i < n; i++) {
            out.write(masked ? payload[i] ^ key[i & 3] : payload[i]);
        }
        return out.toByteArray();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static List<String> parse(byte[] wire) throws FrameParser.Violation {
        Recorder r = new Recorder();
        new FrameParser(65536, r).feed(wire, 0, wire.length);
        return r.events;
    }

    static int violation(byte[] wire) {
        return assertThrows(FrameParser.Violation.class, () -> parse(wire)).code;
    }

    @Test
    void aMaskedTextFrameIsDecoded() throws Exception {
        assertEquals(List.of("text:{\"type\":\"message\",\"text\":\"hi\"}|"),
                parse(frame(true, 1, utf8("{\"type\":\"message\",\"text\":\"hi\"}"))));
    }

    @Test
    void everyLengthEncodingIsRead() throws Exception {
        for (int n : new int[] {0, 125, 126, 127, 65535, 65536}) {
            String text = "x".repeat(n);
            assertEquals(List.of("text:" + text + "|"), parse(frame(true, 1, utf8(text))), "length " + n);
        }
    }

    @Test
    void bytesArrivingOneAtATimeGiveTheSameFrames() throws Exception {
        byte[] wire = concat(frame(false, 1, utf8("h\u00e9")), frame(true, 9, utf8("p")), frame(true, 0, utf8("llo \u20ac")),
                frame(true, 10, new byte[0]), frame(true, 8, concat(new byte[] {0x03, (byte) 0xe8}, utf8("bye"))));
        Recorder r = new Recorder();
        FrameParser p = new FrameParser(65536, r);
        for (byte b : wire) {
            p.feed(new byte[] {b}, 0, 1);
        }
        assertEquals(List.of("text:h\u00e9+", "ping:p", "text:llo \u20ac|", "pong", "close:1000:bye"), r.events);
    }

    @Test
    void aCharacterSplitAcrossFragmentsIsKeptWhole() throws Exception {
        byte[] euro = utf8("\u20ac"); // three bytes
        byte[] wire = concat(frame(false, 1, new byte[] {'a', euro[0]}), frame(false, 0, new byte[] {euro[1]}),
                frame(true, 0, new byte[] {euro[2], 'b'}));
        List<String> events = parse(wire);
        assertEquals("a\u20acb", String.join("", events.stream().map(e -> e.substring(5, e.length() - 1)).toList()));
        assertTrue(events.get(events.size() - 1).endsWith("|"));
    }

    @Test
    void invalidUtf8Closes1007() {
        assertEquals(1007, violation(frame(true, 1, new byte[] {'a', (byte) 0xff})));
        assertEquals(1007, violation(frame(true, 1, new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80})), "a UTF-16 surrogate");
        assertEquals(1007, violation(frame(true, 1, Arrays.copyOf(utf8("\u20ac"), 2))), "message ends mid-character");
        assertEquals(1007, violation(frame(true, 8, new byte[] {0x03, (byte) 0xe8, (byte) 0xc3})), "close reason");
    }

    @Test
    void protocolViolationsClose1002() {
        assertEquals(1002, violation(frame(true, 1, utf8("x"), false, 0)), "unmasked");
        assertEquals(1002, violation(frame(true, 1, utf8("x"), true, 0x40)), "RSV1 without an extension");
        assertEquals(1002, violation(frame(true, 3, utf8("x"))), "reserved data opcode");
        assertEquals(1002, violation(frame(true, 11, utf8("x"))), "reserved control opcode");
        assertEquals(1002, violation(frame(false, 9, utf8("x"))), "fragmented ping");
        assertEquals(1002, violation(frame(true, 9, new byte[126])), "ping over 125 bytes");
        assertEquals(1002, violation(frame(true, 0, utf8("x"))), "continuation with no message");
        assertEquals(1002, violation(concat(frame(false, 1, utf8("a")), frame(true, 1, utf8("b")))), "new message mid-message");
        assertEquals(1002, violation(frame(true, 8, new byte[] {0x03})), "one-byte close body");
        assertEquals(1002, violation(frame(true, 8, new byte[] {0x03, (byte) 0xed})), "close code 1005 on the wire");
        assertEquals(1002, violation(frame(true, 8, new byte[] {0x03, (byte) 0xee})), "close code 1006 on the wire");
        assertEquals(1002, violation(frame(true, 8, new byte[] {0x00, 0x64})), "close code 100");
    }

    @Test
    void anOversizedFrameIsRefusedFromItsHeader() {
        Recorder r = new Recorder();
        FrameParser p = new FrameParser(1000, r);
        byte[] header = {(byte) 0x81, (byte) (0x80 | 127), 0, 0, 0, 1, 0, 0, 0, 0}; // 4 GiB announced
        FrameParser.Violation v = assertThrows(FrameParser.Violation.class, () -> p.feed(header, 0, header.length));
        assertEquals(1009, v.code);
        byte[] tooLong = frame(true, 1, new byte[1001]);
        assertEquals(1009, assertThrows(FrameParser.Violation.class,
                () -> new FrameParser(1000, r).feed(tooLong, 0, tooLong.length)).code);
    }

    @Test
    void aNegativeLengthIsAViolation() {
        byte[] header = {(byte) 0x81, (byte) (0x80 | 127), (byte) 0x80, 0, 0, 0, 0, 0, 0, 0};
        assertEquals(1002, violation(header));
    }

    @Test
    void binaryMessagesArriveFrameByFrame() throws Exception {
        assertEquals(List.of("binary:[1, 2]<", "binary:[3]", "binary:[4]>", "text:ok|"), parse(concat(frame(false, 2, new byte[] {1, 2}), frame(false, 0, new byte[] {3}),
                frame(true, 0, new byte[] {4}), frame(true, 1, utf8("ok")))));
    }

    @Test
    void closeFramesCarryCodeAndReason() throws Exception {
        assertEquals(List.of("close:1005:"), parse(frame(true, 8, new byte[0])));
        assertEquals(List.of("close:4000:custom \u00e9"), parse(frame(true, 8, concat(new byte[] {0x0f, (byte) 0xa0}, utf8("custom \u00e9")))));
    }

    @Test
    void theWriterFramesWhatTheParserReads() throws Exception {
        // Server frames are unmasked; mask one here to read it back with the client-frame parser.
        for (int n : new int[] {0, 1, 125, 126, 65535, 65536}) {
            byte[] f = FrameEncoder.text("y".repeat(n));
            assertEquals(0x81, f[0] & 0xff);
            int header = n < 126 ? 2 : n <= 0xffff ? 4 : 10;
            assertEquals(header + n, f.length, "length " + n);
            assertEquals(List.of("text:" + "y".repeat(n) + "|"), parse(frame(true, 1, Arrays.copyOfRange(f, header, f.length))));
        }
    }

    @Test
    void closeFramesAreShortEnoughForTheirControlFrameLimit() {
        byte[] f = FrameEncoder.close(1001, "\u20ac".repeat(100)); // 300 bytes of reason
        assertEquals(0x88, f[0] & 0xff);
        int len = f[1];
        assertTrue(len <= 125, "payload " + len);
        assertEquals(0x03, f[2]);
        assertEquals((byte) 0xe9, f[3]);
        assertEquals(0, (len - 2) % 3, "no euro sign cut in half");
        assertArrayEquals(new byte[] {(byte) 0x88, 0}, FrameEncoder.close(1005, "ignored"));
    }

    @Test
    void theHandshakeAnswerMatchesTheRfcExample() {
        assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketServlet.accept("dGhlIHNhbXBsZSBub25jZQ=="));
        assertTrue(WebSocketServlet.validKey("dGhlIHNhbXBsZSBub25jZQ=="));
        assertEquals(false, WebSocketServlet.validKey("c2hvcnQ="));
        assertEquals(false, WebSocketServlet.validKey("not base64!"));
        assertTrue(WebSocketServlet.token("keep-alive, Upgrade", "upgrade"));
        assertEquals(false, WebSocketServlet.token("keep-alive", "upgrade"));
    }
}
