package dev.goingaway.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.embedded.RedisExecProvider;

/**
 * One redis-server process of a topology a test builds ({@link RedisSentinelSetup},
 * {@link RedisClusterSetup}): a data node or a sentinel, on a fixed port with a directory of its
 * own, that can be killed with SIGKILL and started again on the same port. The binary is the one
 * shipped in {@code org.signal:embedded-redis}, as for {@link RedisProcess}.
 */
final class RedisNode {

    static final String HOST = "127.0.0.1";

    private static File binary;

    private final int port;
    private final Path dir;
    private final Thread stopOnExit;
    private volatile Process process;
    /** A connection kept for the setups' status queries, so their polling opens no new sockets. */
    private Jedis admin;

    private RedisNode(int port, Path dir) {
        this.port = port;
        this.dir = dir;
        // If the test JVM itself is stopped (Ctrl-C, a CI timeout), no close() runs: do not
        // leave the server behind.
        this.stopOnExit = new Thread(this::kill, "stop-redis-" + port);
        Runtime.getRuntime().addShutdownHook(stopOnExit);
    }

    /** A node on {@code port} whose files (config, log, cluster state) live in {@code dir}; not started. */
    static RedisNode at(int port, Path dir) {
        return new RedisNode(port, dir);
    }

    /** The binary, extracted from the jar once for all nodes of the run. */
    private static synchronized File binary() throws IOException {
        if (binary == null) {
            File extracted = RedisExecProvider.defaultProvider().get();
            extracted.setExecutable(true);
            binary = extracted;
        }
        return binary;
    }

    int port() {
        return port;
    }

    Path dir() {
        return dir;
    }

    /**
     * Starts {@code redis-server} with {@code arguments} (a config file and/or {@code --option value}
     * pairs) and waits until it answers PING; fails at once, with its log, if it exits instead.
     */
    void start(List<String> arguments) throws IOException {
        if (alive()) {
            throw new IllegalStateException("redis on port " + port + " is already running");
        }
        List<String> command = new ArrayList<>();
        command.add(binary().getAbsolutePath());
        command.addAll(arguments);
        process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
                .start();
        Await.until("redis on port " + port + " answers PING", Duration.ofSeconds(10), () -> {
            if (!alive()) {
                throw new AssertionError("redis on port " + port + " exited with " + process.exitValue() + ":\n" + logTail());
            }
            return answers();
        });
    }

    boolean alive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** SIGKILL, as a crashed host: no shutdown, no goodbye to replicas or the cluster bus. Waits until the process is gone. */
    void kill() {
        dropAdmin();
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("redis on port " + port + " (pid " + p.pid() + ") survived SIGKILL");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Kills the process and deletes its directory; the node cannot be started again. */
    void close() {
        kill();
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to: nothing to remove
        }
        deleteRecursively(dir);
    }

    boolean answers() {
        try (Jedis j = client()) {
            return "PONG".equals(j.ping());
        } catch (JedisException e) {
            return false;
        }
    }

    /** A new client; the caller closes it. */
    Jedis client() {
        return new Jedis(HOST, port, 2000);
    }

    /**
     * Runs {@code call} on this node's kept status connection (reconnecting after a failure).
     * Throws {@link JedisException} when the node does not answer.
     */
    synchronized <T> T query(Function<Jedis, T> call) {
        if (admin == null) {
            admin = client();
        }
        try {
            return call.apply(admin);
        } catch (JedisException e) {
            dropAdmin();
            throw e;
        }
    }

    /** {@code query} for a yes/no condition: false, not an exception, when the node does not answer. */
    boolean check(Function<Jedis, Boolean> condition) {
        try {
            return query(condition);
        } catch (JedisException e) {
            return false;
        }
    }

    private synchronized void dropAdmin() {
        if (admin != null) {
            try {
                admin.close();
            } catch (RuntimeException ignored) {
                // a broken connection may fail to close: it is dropped either way
            }
            admin = null;
        }
    }

    /** The value of {@code field} in an INFO-style reply ({@code field:value} lines), or null. */
    static String field(String info, String field) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).trim();
            }
        }
        return null;
    }

    /** True if the node at {@code address} answers ROLE as a master. */
    static boolean isMaster(HostAndPort address) {
        try (Jedis j = new Jedis(address.getHost(), address.getPort(), 2000)) {
            return "master".equals(String.valueOf(j.role().get(0)));
        } catch (JedisException e) {
            return false;
        }
    }

    /** {@code count} different ports from {@link FreePort}. */
    static List<Integer> distinctPorts(int count) {
        Set<Integer> ports = new LinkedHashSet<>();
        while (ports.size() < count) {
            ports.add(FreePort.pick());
        }
        return new ArrayList<>(ports);
    }

    static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path subDir(Path parent, String name) {
        try {
            return Files.createDirectories(parent.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temp directory is not worth failing a test over
        }
    }

    private Path log() {
        return dir.resolve("redis.log");
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log());
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public String toString() {
        return HOST + ":" + port;
    }
}
