package dev.goingaway.transport.servlet;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads the frames a client sends (RFC 6455 section 5), fed with whatever bytes arrived. Checks
 * what a server must: every frame masked, no reserved bits, known opcodes, control frames short
 * and whole, continuation frames only inside a message, text valid UTF-8 across fragments, close
 * codes that may appear on the wire. A violation is a {@link Violation} carrying the close code
 * to answer with. No frame longer than {@code maxFrameBytes} is buffered: its header alone
 * ends the connection with 1009.
 */
final class FrameParser {

    /** What a frame means to the connection. Called on the reading thread, in order. */
    interface Handler {
        /** One text frame's payload; {@code last} ends the message. */
        void text(String part, boolean last);

        /** One binary frame's payload; {@code first} begins the message, {@code last} ends it. */
        void binary(byte[] part, boolean first, boolean last);

        void ping(byte[] payload);

        void pong();

        /** A close frame; {@code code} is 1005 when it carried none. */
        void close(int code, String reason);
    }

    /** The client broke the protocol; close with {@link #code}. */
    static final class Violation extends Exception {
        private static final long serialVersionUID = 1L;
        final int code;

        Violation(int code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    static final int NO_STATUS = 1005;

    private static final byte[] EMPTY = new byte[0];

    private static final int NONE = 0;
    private static final int TEXT = 1;
    private static final int BINARY = 2;

    private final int maxFrameBytes;
    private final Handler handler;
    private byte[] buf = EMPTY;
    private int start;
    private int end;
    /** The kind of fragmented message in progress, NONE between messages. */
    private int message = NONE;
    private CharsetDecoder utf8;
    /** Bytes of a UTF-8 sequence split across two fragments. */
    private byte[] carry = EMPTY;

    FrameParser(int maxFrameBytes, Handler handler) {
        this.maxFrameBytes = maxFrameBytes;
        this.handler = handler;
    }

    /** Parses every whole frame in what has arrived so far; keeps the rest for the next call. */
    void feed(byte[] data, int off, int len) throws Violation {
        append(data, off, len);
        while (end - start >= 2) {
            int b0 = buf[start] & 0xff;
            int b1 = buf[start + 1] & 0xff;
            boolean fin = (b0 & 0x80) != 0;
            int opcode = b0 & 0x0f;
            if ((b0 & 0x70) != 0) {
                throw new Violation(1002, "reserved bits set without an extension");
            }
            if ((b1 & 0x80) == 0) {
                throw new Violation(1002, "client frames must be masked");
            }
            long length = b1 & 0x7f;
            int header = 2;
            if (length == 126) {
                if (end - start < 4) {
                    return;
                }
                length = ((buf[start + 2] & 0xff) << 8) | (buf[start + 3] & 0xff);
                header = 4;
            } else if (length == 127) {
                if (end - start < 10) {
                    return;
                }
                length = ByteBuffer.wrap(buf, start + 2, 8).getLong();
                header = 10;
                if (length < 0) {
                    throw new Violation(1002, "frame length out of range");
                }
            }
            if (opcode >= 8) {
                if (opcode > 10) {
                    throw new Violation(1002, "unknown control opcode " + opcode);
                }
                if (!fin) {
                    throw new Violation(1002, "fragmented control frame");
                }
                if (length > 125) {
                    throw new Violation(1002, "control frame longer than 125 bytes");
                }
            } else {
                if (opcode > 2) {
                    throw new Violation(1002, "unknown data opcode " + opcode);
                }
                if (length > maxFrameBytes) {
                    throw new Violation(1009, "frame of " + length + " bytes; the limit is " + maxFrameBytes);
                }
            }
            int total = header + 4 + (int) length;
            if (end - start < total) {
                return;
            }
            int maskAt = start + header;
            byte[] payload = new byte[(int) length];
            for (int i = 0; i < payload.length; i++) {
                payload[i] = (byte) (buf[maskAt + 4 + i] ^ buf[maskAt + (i & 3)]);
            }
            start += total;
            if (start == end) {
                release();
            }
            frame(opcode, fin, payload);
        }
    }

    private void frame(int opcode, boolean fin, byte[] payload) throws Violation {
        switch (opcode) {
            case 0x1 -> {
                if (message != NONE) {
                    throw new Violation(1002, "a new message began inside a fragmented one");
                }
                message = TEXT;
                text(payload, fin);
            }
            case 0x2 -> {
                if (message != NONE) {
                    throw new Violation(1002, "a new message began inside a fragmented one");
                }
                message = fin ? NONE : BINARY;
                handler.binary(payload, true, fin);
            }
            case 0x0 -> {
                if (message == NONE) {
                    throw new Violation(1002, "continuation frame outside a message");
                }
                if (message == TEXT) {
                    text(payload, fin);
                } else {
                    if (fin) {
                        message = NONE;
                    }
                    handler.binary(payload, false, fin);
                }
            }
            case 0x8 -> close(payload);
            case 0x9 -> handler.ping(payload);
            case 0xA -> handler.pong();
            default -> throw new Violation(1002, "unknown opcode " + opcode);
        }
    }

    private void text(byte[] payload, boolean fin) throws Violation {
        if (utf8 == null) {
            utf8 = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
        }
        ByteBuffer in;
        if (carry.length == 0) {
            in = ByteBuffer.wrap(payload);
        } else {
            in = ByteBuffer.allocate(carry.length + payload.length).put(carry).put(payload).flip();
        }
        CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
        CoderResult result = utf8.decode(in, out, fin);
        if (result.isError()) {
            throw new Violation(1007, "text is not valid UTF-8");
        }
        if (fin) {
            if (utf8.flush(out).isError() || in.hasRemaining()) {
                throw new Violation(1007, "text ends inside a UTF-8 sequence");
            }
            utf8.reset();
            carry = EMPTY;
            message = NONE;
        } else {
            carry = new byte[in.remaining()];
            in.get(carry);
        }
        handler.text(out.flip().toString(), fin);
    }

    private void close(byte[] payload) throws Violation {
        if (payload.length == 0) {
            handler.close(NO_STATUS, "");
            return;
        }
        if (payload.length == 1) {
            throw new Violation(1002, "close frame with a one-byte body");
        }
        int code = ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
        if (!sendable(code)) {
            throw new Violation(1002, "close code " + code + " may not be sent");
        }
        String reason;
        try {
            reason = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(payload, 2, payload.length - 2)).toString();
        } catch (CharacterCodingException e) {
            throw new Violation(1007, "close reason is not valid UTF-8");
        }
        handler.close(code, reason);
    }

    /** RFC 6455 7.4: the codes an endpoint may put in a close frame. */
    static boolean sendable(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }

    private void append(byte[] data, int off, int len) {
        if (len == 0) {
            return;
        }
        if (start == end) {
            start = 0;
            end = 0;
        }
        if (buf.length - end < len) {
            int kept = end - start;
            byte[] bigger = buf.length - kept >= len ? buf : new byte[Math.max(kept + len, Math.min(2 * buf.length, maxFrameBytes + 14))];
            System.arraycopy(buf, start, bigger, 0, kept);
            buf = bigger;
            start = 0;
            end = kept;
        }
        System.arraycopy(data, off, buf, end, len);
        end += len;
    }

    /** An idle connection keeps no read buffer. */
    private void release() {
        buf = EMPTY;
        start = 0;
        end = 0;
    }
}
