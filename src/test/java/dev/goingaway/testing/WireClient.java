package dev.goingaway.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A WebSocket client at the level of frames on a plain socket (RFC 6455), for tests where
 * the exact close frame matters: it records whether a close frame arrived and which code it
 * carried, where higher-level clients report a dropped connection and a 1006 alike. It answers
 * pings and echoes the server's close, like a well-behaved client, unless told to stop reading.
 */
public final class WireClient implements AutoCloseable {

    /** Something that happened on the connection, in order. */
    public record Event(Kind kind, String text, int code, long nanos) {
        public enum Kind { TEXT, BINARY, PING, CLOSE, EOF, ERROR }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final List<Event> events = new ArrayList<>();
    private final CountDownLatch ended = new CountDownLatch(1);
    private final Object writeLock = new Object();
    private final String handshakeResponse;
    private Thread reader;
    private volatile boolean closeSent;
    private volatile java.util.function.Consumer<String> listener = t -> { };

    private WireClient(Socket socket, String handshakeResponse) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.handshakeResponse = handshakeResponse;
    }

    /** Connects and completes the handshake; starts reading unless {@code read} is false. */
    public static WireClient connect(URI uri, Map<String, String> headers, boolean read) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        if (!read) {
            s.setReceiveBufferSize(4096); // a client that stops reading fills up quickly
        }
        s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
        s.setSoTimeout(20_000);
        String key = Base64.getEncoder().encodeToString(randomBytes(16));
        String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        StringBuilder req = new StringBuilder()
                .append("GET ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n")
                .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
                .append("Sec-WebSocket-Key: ").append(key).append("\r\n")
                .append("Sec-WebSocket-Version: 13\r\n");
        headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
        req.append("\r\n");
        s.getOutputStream().write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        String response = readHeaders(s.getInputStream());
        if (!response.startsWith("HTTP/1.1 101")) {
            s.close();
            throw new IOException("handshake refused: " + response.lines().findFirst().orElse(response));
        }
        s.setSoTimeout(0);
        WireClient c = new WireClient(s, response);
        if (read) {
            c.startReading();
        }
        return c;
    }

    public static WireClient connect(URI uri) throws IOException {
        return connect(uri, Map.of(), true);
    }

    public String handshakeResponse() {
        return handshakeResponse;
    }

    /** Called on the reader thread for every text frame, after it is recorded. */
    public void onText(java.util.function.Consumer<String> listener) {
        this.listener = listener;
    }

    /** Starts the reader thread (for a client created with {@code read=false}). */
    public synchronized void startReading() {
        if (reader == null) {
            reader = new Thread(this::readLoop, "wire-client-" + socket.getLocalPort());
            reader.setDaemon(true);
            reader.start();
        }
    }

    public void sendText(String text) throws IOException {
        sendFrame(0x1, text.getBytes(StandardCharsets.UTF_8), true);
    }

    public void sendBinary(byte[] data) throws IOException {
        sendFrame(0x2, data, true);
    }

    /** Sends a frame exactly as given (opcode, payload, FIN), masked as a client must. */
    public void sendFrame(int opcode, byte[] payload, boolean fin) throws IOException {
        byte[] mask = randomBytes(4);
        ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
        f.write((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            f.write(0x80 | payload.length);
        } else if (payload.length <= 0xFFFF) {
            f.write(0x80 | 126);
            f.write(payload.length >>> 8);
            f.write(payload.length);
        } else {
            f.write(0x80 | 127);
            long len = payload.length;
            for (int i = 7; i >= 0; i--) {
                f.write((int) (len >>> (8 * i)));
            }
        }
        f.write(mask, 0, 4);
        for (int i = 0; i < payload.length; i++) {
            f.write(payload[i] ^ mask[i & 3]);
        }
        synchronized (writeLock) {
            out.write(f.toByteArray());
            out.flush();
        }
    }

    /** Sends a close frame with a code (the server then answers with its own). */
    public void sendClose(int code) throws IOException {
        closeSent = true;
        sendFrame(0x8, new byte[] {(byte) (code >>> 8), (byte) code}, true);
    }

    private volatile boolean followTcpEnd;

    /**
     * After the close frame, hang up our side and read on until the server ends the TCP connection,
     * recording how: EOF for a clean end (FIN), ERROR for a reset or for data after the close frame.
     */
    public void followTcpEnd() {
        followTcpEnd = true;
    }

    /** How the TCP connection ended after the close frame (with {@link #followTcpEnd()}), or null. */
    public Event tcpEnd() {
        List<Event> all = events();
        for (int i = 0; i + 1 < all.size(); i++) {
            if (all.get(i).kind() == Event.Kind.CLOSE) {
                return all.get(i + 1);
            }
        }
        return null;
    }

    private void readLoop() {
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        int messageOpcode = 0;
        try {
            while (true) {
                int b0 = in.read();
                if (b0 < 0) {
                    record(new Event(Event.Kind.EOF, null, 0, System.nanoTime()));
                    return;
                }
                int b1 = readByte();
                boolean fin = (b0 & 0x80) != 0;
                int opcode = b0 & 0x0F;
                long len = b1 & 0x7F;
                if (len == 126) {
                    len = (readByte() << 8) | readByte();
                } else if (len == 127) {
                    len = 0;
                    for (int i = 0; i < 8; i++) {
                        len = (len << 8) | readByte();
                    }
                }
                byte[] payload = in.readNBytes((int) len);
                if (payload.length != len) {
                    throw new EOFException("truncated frame");
                }
                long now = System.nanoTime();
                switch (opcode) {
                    case 0x0, 0x1, 0x2 -> {
                        if (opcode != 0) {
                            messageOpcode = opcode;
                            message.reset();
                        }
                        message.write(payload);
                        if (fin) {
                            if (messageOpcode == 0x1) {
                                String text = message.toString(StandardCharsets.UTF_8);
                                record(new Event(Event.Kind.TEXT, text, 0, now));
                                listener.accept(text);
                            } else {
                                record(new Event(Event.Kind.BINARY, null, message.size(), now));
                            }
                        }
                    }
                    case 0x9 -> {
                        record(new Event(Event.Kind.PING, null, 0, now));
                        sendFrame(0xA, payload, true);
                    }
                    case 0xA -> { /* unsolicited pong */ }
                    case 0x8 -> {
                        int code = payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
                        String reason = payload.length > 2
                                ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
                        record(new Event(Event.Kind.CLOSE, reason, code, now));
                        if (!closeSent) {
                            try {
                                sendFrame(0x8, new byte[] {(byte) (code >>> 8), (byte) code}, true);
                            } catch (IOException ignored) {
                                // the server may already have dropped the TCP connection
                            }
                        }
                        if (followTcpEnd) {
                            // Nothing may follow a close frame: the next read must be the end of the
                            // stream (recorded as EOF), not data, and not a reset (recorded as ERROR).
                            socket.shutdownOutput();
                            int after = in.read();
                            record(after < 0 ? new Event(Event.Kind.EOF, null, 0, System.nanoTime())
                                    : new Event(Event.Kind.ERROR, "data after the close frame", after, System.nanoTime()));
                        }
                        return;
                    }
                    default -> throw new IOException("unknown opcode " + opcode);
                }
            }
        } catch (IOException e) {
            record(new Event(Event.Kind.ERROR, e.toString(), 0, System.nanoTime()));
        } finally {
            ended.countDown();
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a socket that is already gone
            }
        }
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException("connection ended inside a frame header");
        }
        return b;
    }

    private void record(Event e) {
        synchronized (events) {
            events.add(e);
            events.notifyAll();
        }
    }

    /** A copy of everything received so far. */
    public List<Event> events() {
        synchronized (events) {
            return new ArrayList<>(events);
        }
    }

    /** The text frames received so far. */
    public List<String> texts() {
        return events().stream().filter(e -> e.kind() == Event.Kind.TEXT).map(Event::text).toList();
    }

    /** Waits for a text frame matching {@code match}, returns it, or fails after {@code timeout}. */
    public String awaitText(Predicate<String> match, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (events) {
            int seen = 0;
            while (true) {
                for (; seen < events.size(); seen++) {
                    Event e = events.get(seen);
                    if (e.kind() == Event.Kind.TEXT && match.test(e.text())) {
                        return e.text();
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || ended.getCount() == 0 && seen == events.size()) {
                    throw new AssertionError("no matching frame within " + timeout.toMillis() + " ms; got " + events);
                }
                TimeUnit.NANOSECONDS.timedWait(events, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
        }
    }

    /** Waits until the connection ended (close frame, EOF or error); false on timeout. */
    public boolean awaitEnd(Duration timeout) throws InterruptedException {
        return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The close frame received, if any. */
    public Event closeFrame() {
        return events().stream().filter(e -> e.kind() == Event.Kind.CLOSE).findFirst().orElse(null);
    }

    public boolean ended() {
        return ended.getCount() == 0;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static String readHeaders(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed during handshake: " + buf.toString(StandardCharsets.ISO_8859_1));
            }
            buf.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return buf.toString(StandardCharsets.ISO_8859_1);
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
