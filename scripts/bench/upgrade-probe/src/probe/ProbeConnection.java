package probe;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpUpgradeHandler;
import jakarta.servlet.http.WebConnection;

/**
 * One WebSocket connection framed by hand on a Servlet upgrade: the least a WebSocket on
 * Liberty can cost. Only what the shutdown benchmark exercises: a welcome, pings answered,
 * the client's close answered, and at shutdown bye + close 1001 in one write, then the
 * connection closed when the client's close reply arrives.
 */
public class ProbeConnection implements HttpUpgradeHandler {

    static final Set<ProbeConnection> OPEN = ConcurrentHashMap.newKeySet();
    static final AtomicInteger IDS = new AtomicInteger();
    static final AtomicLong LAST_CLOSED_NANOS = new AtomicLong();
    static final AtomicLong LAST_WRITE_NANOS = new AtomicLong();

    private final int id = IDS.incrementAndGet();
    private WebConnection connection;
    private ServletInputStream in;
    private ServletOutputStream out;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private boolean closeSent;
    private boolean closed;
    private final byte[] buf = new byte[4096];
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    @Override
    public void init(WebConnection wc) {
        connection = wc;
        try {
            in = wc.getInputStream();
            out = wc.getOutputStream();
        } catch (IOException e) {
            close();
            return;
        }
        OPEN.add(this);
        synchronized (this) {
            queue.add(text("{\"type\":\"welcome\",\"session\":\"p" + id + "\",\"room\":\"bench\",\"total\":0,\"instance\":\"probe\"}"));
        }
        out.setWriteListener(new WriteListener() {
            @Override public void onWritePossible() { flush(); }
            @Override public void onError(Throwable t) { close(); }
        });
        in.setReadListener(new ReadListener() {
            @Override public void onDataAvailable() { read(); }
            @Override public void onAllDataRead() { close(); }
            @Override public void onError(Throwable t) { close(); }
        });
    }

    /** Bye then close 1001, written together. */
    void goAway() {
        byte[] bye = text("{\"type\":\"bye\",\"bye\":true,\"total\":0,\"session\":\"p" + id
                + "\",\"message\":\"Server is shutting down gracefully\",\"reconnectAfterMs\":0}");
        byte[] both = new byte[bye.length + 4];
        System.arraycopy(bye, 0, both, 0, bye.length);
        both[bye.length] = (byte) 0x88;
        both[bye.length + 1] = 2;
        both[bye.length + 2] = (byte) (1001 >> 8);
        both[bye.length + 3] = (byte) (1001 & 0xff);
        synchronized (this) {
            closeSent = true;
        }
        send(both);
    }

    private void send(byte[] frame) {
        synchronized (this) {
            if (closed) {
                return;
            }
            queue.add(frame);
        }
        flush();
    }

    private synchronized void flush() {
        try {
            while (!closed && !queue.isEmpty() && out.isReady()) {
                out.write(queue.poll());
                if (out.isReady()) {
                    out.flush();
                }
                if (closeSent && queue.isEmpty()) {
                    LAST_WRITE_NANOS.accumulateAndGet(System.nanoTime(), Math::max);
                }
            }
        } catch (IOException | IllegalStateException e) {
            close();
        }
    }

    private void read() {
        try {
            while (in.isReady()) {
                int n = in.read(buf);
                if (n < 0) {
                    close();
                    return;
                }
                pending.write(buf, 0, n);
                parse();
            }
        } catch (IOException | IllegalStateException e) {
            close();
        }
    }

    private void parse() {
        byte[] b = pending.toByteArray();
        int at = 0;
        while (b.length - at >= 2) {
            int opcode = b[at] & 0x0f;
            long len = b[at + 1] & 0x7f;
            boolean masked = (b[at + 1] & 0x80) != 0;
            int header = 2;
            if (len == 126) {
                if (b.length - at < 4) break;
                len = ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
                header = 4;
            } else if (len == 127) {
                close();
                return;
            }
            int total = header + (masked ? 4 : 0) + (int) len;
            if (b.length - at < total) break;
            byte[] payload = new byte[(int) len];
            for (int i = 0; i < len; i++) {
                byte m = masked ? b[at + header + (i & 3)] : 0;
                payload[i] = (byte) (b[at + header + (masked ? 4 : 0) + i] ^ m);
            }
            at += total;
            if (opcode == 0x8) {
                boolean answer;
                synchronized (this) {
                    answer = !closeSent;
                    closeSent = true;
                }
                if (answer) {
                    send(new byte[] {(byte) 0x88, 0});
                }
                close();
                return;
            } else if (opcode == 0x9) {
                byte[] pong = new byte[2 + payload.length];
                pong[0] = (byte) 0x8a;
                pong[1] = (byte) payload.length;
                System.arraycopy(payload, 0, pong, 2, payload.length);
                send(pong);
            }
        }
        pending.reset();
        pending.write(b, at, b.length - at);
    }

    void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            flushQuietly();
            closed = true;
        }
        OPEN.remove(this);
        try {
            connection.close();
        } catch (Exception e) {
            // already gone
        }
        LAST_CLOSED_NANOS.accumulateAndGet(System.nanoTime(), Math::max);
    }

    private void flushQuietly() {
        try {
            while (!queue.isEmpty() && out.isReady()) {
                out.write(queue.poll());
            }
        } catch (IOException | RuntimeException e) {
            // closing anyway
        }
    }

    @Override
    public void destroy() {
        OPEN.remove(this);
    }

    static byte[] text(String s) {
        byte[] p = s.getBytes(StandardCharsets.UTF_8);
        int header = p.length < 126 ? 2 : 4;
        byte[] f = new byte[header + p.length];
        f[0] = (byte) 0x81;
        if (header == 2) {
            f[1] = (byte) p.length;
        } else {
            f[1] = 126;
            f[2] = (byte) (p.length >> 8);
            f[3] = (byte) p.length;
        }
        System.arraycopy(p, 0, f, header, p.length);
        return f;
    }
}
