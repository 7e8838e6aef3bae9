package dev.goingaway.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real HAProxy (Debian's package, installed with apt-get if missing) in front of the chat
 * servers, the way a load balancer would be in production: it health-checks
 * {@code /health/ready} every second (every 250 ms while a server is down), takes a server out
 * after one failed check (a 503 while draining, no connection, or no answer within 5 s), and
 * keeps WebSocket tunnels open for an hour. Servers sit in named slots; {@link #point} moves a slot to
 * another port through HAProxy's runtime API, which is how a blue/green switch is done without
 * reloading.
 */
public final class HaProxy implements AutoCloseable {

    public static final String BACKEND = "chat_servers";

    private final Path dir;
    private final Path socket;
    private final int port;
    private final Process process;

    private HaProxy(Path dir, Path socket, int port, Process process) {
        this.dir = dir;
        this.socket = socket;
        this.port = port;
        this.process = process;
    }

    /** The haproxy binary; installs Debian's package first if there is none. */
    public static Path ensureInstalled() throws IOException, InterruptedException {
        for (String candidate : List.of("/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy")) {
            if (Files.isExecutable(Paths.get(candidate))) {
                return Paths.get(candidate);
            }
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("haproxy is not installed and this is not root: run 'apt-get install haproxy'");
        }
        // RUNLEVEL=1: the package's maintainer scripts must not start a haproxy daemon of their own.
        run(Duration.ofMinutes(5), "apt-get", "-o", "DPkg::Lock::Timeout=300", "update");
        run(Duration.ofMinutes(5), "apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y",
                "--no-install-recommends", "haproxy");
        Path bin = Paths.get("/usr/sbin/haproxy");
        if (!Files.isExecutable(bin)) {
            throw new IllegalStateException("apt-get installed haproxy but " + bin + " is not there");
        }
        return bin;
    }

    private static void run(Duration timeout, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("goingaway-apt-", ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        pb.environment().put("RUNLEVEL", "1");
        Process p = pb.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " still running after " + timeout.toSeconds() + " s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed with " + p.exitValue() + ":\n" + Files.readString(log));
        }
    }

    /**
     * Starts HAProxy on a free port with one server slot per entry of {@code slots} (slot name →
     * port; a port nothing listens on leaves the slot DOWN until {@link #point} moves it).
     */
    public static HaProxy start(Map<String, Integer> slots) throws IOException, InterruptedException {
        Path bin = ensureInstalled();
        Path dir = Files.createTempDirectory("goingaway-haproxy-");
        Path socket = dir.resolve("admin.sock");
        int port = FreePort.pick();
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, config(port, socket, slots));
        ProcessBuilder check = new ProcessBuilder(bin.toString(), "-c", "-f", cfg.toString()).redirectErrorStream(true);
        Process c = check.start();
        String checkOut = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!c.waitFor(30, TimeUnit.SECONDS) || c.exitValue() != 0) {
            throw new IllegalStateException("haproxy rejected its configuration:\n" + checkOut);
        }
        Process p = new ProcessBuilder(bin.toString(), "-db", "-f", cfg.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        HaProxy h = new HaProxy(dir, socket, port, p);
        try {
            Await.until("haproxy answers on its admin socket", Duration.ofSeconds(20), () -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("haproxy exited: " + h.log());
                }
                try {
                    return h.command("show info").contains("Pid:");
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (RuntimeException | Error e) {
            h.close();
            throw e;
        }
        return h;
    }

    static String config(int port, Path socket, Map<String, Integer> slots) {
        StringBuilder servers = new StringBuilder();
        slots.forEach((name, p) -> servers.append("    server ").append(name).append(" 127.0.0.1:").append(p).append(" check\n"));
        return """
                global
                    stats socket %s mode 600 level admin
                    stats timeout 10s
                    # server UP/DOWN transitions, and one line per connection with how it ended
                    log stdout format raw local0 info

                defaults
                    mode http
                    log global
                    timeout connect 2s
                    # With fall 1 a single failed check takes a server out, so a check must fail only
                    # when the server really says no (503 while draining) or is gone: a busy survivor
                    # taking a reconnect storm answers late, not never. Without 'timeout check' the
                    # check timeout is 'inter'; the check's connect timeout is min(connect, inter).
                    timeout check 5s
                    timeout client 30s
                    timeout server 30s
                    timeout http-request 10s
                    timeout queue 5s
                    # after the WebSocket upgrade only the tunnel timeout applies
                    timeout tunnel 1h
                    timeout client-fin 5s
                    timeout server-fin 5s
                    retries 2
                    option redispatch

                frontend chat
                    option httplog
                    bind 127.0.0.1:%d
                    maxconn 9000
                    default_backend %s

                backend %s
                    balance leastconn
                    option httpchk GET /health/ready
                    http-check expect status 200
                    default-server inter 1s downinter 250ms fall 1 rise 2
                %s""".formatted(socket, port, BACKEND, BACKEND, servers);
    }

    public int port() {
        return port;
    }

    public URI ws(String query) {
        return URI.create("ws://127.0.0.1:" + port + "/ws/chat" + (query == null || query.isEmpty() ? "" : "?" + query));
    }

    /** Moves a slot to another local port; health checks follow at once. */
    public void point(String slot, int serverPort) throws IOException {
        String answer = command("set server " + BACKEND + "/" + slot + " addr 127.0.0.1 port " + serverPort);
        if (!answer.isBlank() && !answer.contains("changed") && !answer.contains("no need to change")) {
            throw new IOException("haproxy refused to move " + slot + " to port " + serverPort + ": " + answer);
        }
    }

    /** Each slot's status as HAProxy sees it: UP, DOWN, "UP 1/2" while rising, and so on. */
    public Map<String, String> statuses() throws IOException {
        Map<String, String> result = new LinkedHashMap<>();
        List<String> lines = command("show stat").lines().toList();
        if (lines.isEmpty()) {
            return result;
        }
        List<String> header = List.of(lines.get(0).replaceFirst("^# ", "").split(","));
        int px = header.indexOf("pxname");
        int sv = header.indexOf("svname");
        int st = header.indexOf("status");
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            if (f.length > st && BACKEND.equals(f[px]) && !"BACKEND".equals(f[sv]) && !"FRONTEND".equals(f[sv])) {
                result.put(f[sv], f[st]);
            }
        }
        return result;
    }

    /** Waits until HAProxy reports the slot with exactly this status. */
    public void awaitStatus(String slot, String status, Duration timeout) {
        Await.until("haproxy reports " + slot + " " + status, timeout, () -> {
            try {
                return status.equals(statuses().get(slot));
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** One runtime API command; the answer as text. */
    public String command(String line) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(16_384);
            while (ch.read(buf) >= 0) {
                buf.flip();
                out.write(buf.array(), 0, buf.limit());
                buf.clear();
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    public String log() {
        try {
            return Files.readString(dir.resolve("haproxy.log"));
        } catch (IOException e) {
            return "(no haproxy log: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
