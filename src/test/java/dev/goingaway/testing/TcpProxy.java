package dev.goingaway.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A load balancer reduced to what a rollover test needs, and deterministic: it accepts TCP
 * connections on a free loopback port and hands each new one to the first backend, in the
 * order given, whose {@code /health/ready} answers 200 at that moment; then it relays bytes
 * both ways without looking at them (HTTP and WebSocket alike). A connection lives and dies
 * with its backend, as behind a real TCP load balancer; only new connections move.
 */
public final class TcpProxy implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TcpProxy.class.getName());
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    /** A server behind the proxy, by name and loopback HTTP port. */
    public record Backend(String name, int port) {
    }

    private final ServerSocket server;
    private final List<Backend> backends;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> routed = new ConcurrentHashMap<>();
    private final AtomicInteger refused = new AtomicInteger();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tcp-proxy");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    private TcpProxy(List<Backend> backends) throws IOException {
        this.backends = List.copyOf(backends);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    /** Starts accepting at once. */
    public static TcpProxy start(List<Backend> backends) throws IOException {
        return new TcpProxy(backends);
    }

    /** Convenience: a backend for each server, in order of preference. */
    public static TcpProxy in(LibertyProcess... servers) throws IOException {
        return start(java.util.Arrays.stream(servers).map(s -> new Backend(s.name(), s.httpPort())).toList());
    }

    public int port() {
        return server.getLocalPort();
    }

    public URI http(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** How many connections were handed to the named backend so far. */
    public int routedTo(String name) {
        AtomicInteger n = routed.get(name);
        return n == null ? 0 : n.get();
    }

    /** Connections closed at once because no backend was ready. */
    public int refused() {
        return refused.get();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(Level.WARNING, "proxy accept failed: {0}", e.toString());
                }
                return;
            }
            sockets.add(client);
            threads.execute(() -> route(client));
        }
    }

    private void route(Socket client) {
        for (Backend b : backends) {
            if (ready(b)) {
                Socket upstream = new Socket();
                try {
                    upstream.setTcpNoDelay(true);
                    client.setTcpNoDelay(true);
                    upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), b.port()), 2_000);
                } catch (IOException e) {
                    quietly(upstream);
                    continue; // went away between the probe and the connect: try the next one
                }
                sockets.add(upstream);
                routed.computeIfAbsent(b.name(), k -> new AtomicInteger()).incrementAndGet();
                LOG.log(Level.FINE, "proxy {0} -> {1}", new Object[] {client.getPort(), b.name()});
                AtomicInteger open = new AtomicInteger(2);
                threads.execute(() -> pump(client, upstream, open));
                threads.execute(() -> pump(upstream, client, open));
                return;
            }
        }
        refused.incrementAndGet();
        quietly(client);
    }

    private static boolean ready(Backend b) {
        try {
            HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + b.port() + "/health/ready"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Copies one direction; an end of stream is passed on as a half close, an error closes both. */
    private void pump(Socket from, Socket to, AtomicInteger open) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            // reset or closed: the connection is over in both directions
            quietly(from);
            quietly(to);
        } finally {
            if (open.decrementAndGet() == 0) {
                quietly(from);
                quietly(to);
            }
        }
    }

    private void quietly(Socket s) {
        sockets.remove(s);
        try {
            s.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "close: {0}", e.toString());
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "close: {0}", e.toString());
        }
        sockets.forEach(this::quietly);
        threads.shutdownNow();
    }
}
