package dev.goingaway.transport.servlet;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** The frames a server writes (RFC 6455 section 5.2): unmasked, unfragmented. */
final class FrameEncoder {

    static final int TEXT = 0x1;
    static final int BINARY = 0x2;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    static final int PONG = 0xA;

    private FrameEncoder() {
    }

    static byte[] text(String text) {
        return frame(TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] binary(byte[] payload) {
        return frame(BINARY, payload);
    }

    static byte[] ping(byte[] payload) {
        return frame(PING, payload);
    }

    static byte[] pong(byte[] payload) {
        return frame(PONG, payload);
    }

    /** A close frame; no body for 1005 ("no status"), which may not go on the wire. */
    static byte[] close(int code, String reason) {
        if (code == FrameParser.NO_STATUS) {
            return frame(CLOSE, new byte[0]);
        }
        byte[] why = truncated(reason == null ? "" : reason, 123);
        byte[] body = new byte[2 + why.length];
        body[0] = (byte) (code >> 8);
        body[1] = (byte) code;
        System.arraycopy(why, 0, body, 2, why.length);
        return frame(CLOSE, body);
    }

    static byte[] frame(int opcode, byte[] payload) {
        int n = payload.length;
        int header = n < 126 ? 2 : n <= 0xffff ? 4 : 10;
        byte[] f = new byte[header + n];
        f[0] = (byte) (0x80 | opcode);
        if (header == 2) {
            f[1] = (byte) n;
        } else if (header == 4) {
            f[1] = 126;
            f[2] = (byte) (n >> 8);
            f[3] = (byte) n;
        } else {
            f[1] = 127;
            ByteBuffer.wrap(f, 2, 8).putLong(n);
        }
        System.arraycopy(payload, 0, f, header, n);
        return f;
    }

    /** UTF-8 of {@code s}, at most {@code max} bytes, never cutting a character. */
    static byte[] truncated(String s, int max) {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        ByteBuffer out = ByteBuffer.allocate(max);
        encoder.encode(CharBuffer.wrap(s), out, true);
        byte[] b = new byte[out.position()];
        out.flip().get(b);
        return b;
    }
}
