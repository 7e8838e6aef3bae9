package dev.goingaway.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import redis.clients.jedis.Jedis;
import redis.embedded.RedisExecProvider;

/**
 * A real Redis 7 server process (the binary shipped in {@code org.signal:embedded-redis}),
 * started and owned by the test so it can be stopped, restarted on the same port, and frozen
 * with SIGSTOP like a Redis whose host stalls.
 */
public final class RedisProcess implements AutoCloseable {

    private final int port;
    private final Path dir;
    /** {@code requirepass}, or null for an open Redis. (Added for the hardening tests.) */
    private final String password;
    private Process process;

    private RedisProcess(int port, String password) throws IOException {
        this.port = port;
        this.password = password;
        this.dir = Files.createTempDirectory("goingaway-redis-");
    }

    /** Starts a Redis on the given port (0: a free one) and waits until it answers PING. */
    public static RedisProcess start(int port) throws IOException {
        return start(port, null);
    }

    /**
     * Starts a Redis that requires {@code password} ({@code requirepass}; null: none) on the
     * given port (0: a free one) and waits until it answers PING.
     */
    public static RedisProcess start(int port, String password) throws IOException {
        RedisProcess r = new RedisProcess(port == 0 ? FreePort.pick() : port, password);
        r.startProcess();
        return r;
    }

    public int port() {
        return port;
    }

    /** {@code redis://[:password@]127.0.0.1:port}, the form {@code REDIS_URL} takes. */
    public String url() {
        return "redis://" + (password == null ? "" : ":" + password + "@") + "127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    public synchronized void startProcess() throws IOException {
        File binary = RedisExecProvider.defaultProvider().get();
        binary.setExecutable(true);
        List<String> command = new java.util.ArrayList<>(List.of(binary.getAbsolutePath(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()));
        if (password != null) {
            command.addAll(List.of("--requirepass", password));
        }
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        // If the test JVM itself is stopped (Ctrl-C, a CI timeout), its @AfterAll never runs:
        // do not leave the server behind.
        Process started = process;
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly, "stop-" + started.pid()));
        Await.until("redis on port " + port + " answers PING", Duration.ofSeconds(10), this::answers);
    }

    /** Stops the server (its data is gone, like a restarted cache without persistence). */
    public synchronized void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            thaw();
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** SIGSTOP: the socket stays open and connects succeed, but nothing is ever answered. */
    public void freeze() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #freeze()}. */
    public void thaw() {
        try {
            signal("CONT");
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    public boolean answers() {
        try (Jedis j = client()) {
            return "PONG".equals(j.ping());
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** A plain client for assertions. */
    public Jedis client() {
        Jedis j = new Jedis("127.0.0.1", port, 2000);
        if (password != null) {
            j.auth(password);
        }
        return j;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
