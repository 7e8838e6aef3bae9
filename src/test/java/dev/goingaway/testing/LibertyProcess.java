package dev.goingaway.testing;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The project's own server — the Liberty runtime the build installed, the project's
 * {@code liberty/config/server.xml} and the built WAR — started as a real process with
 * {@code server run} (which becomes the JVM, so {@link #sigterm()} reaches Liberty exactly as
 * Kubernetes' SIGTERM would). Each instance gets its own user directory and free ports.
 */
public final class LibertyProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Path userDir;
    private final int httpPort;
    private final Map<String, String> env;
    private Process process;
    private long signalledAtNanos;

    private LibertyProcess(String name, Map<String, String> env) throws IOException {
        this.name = name;
        this.httpPort = FreePort.pick();
        this.env = new HashMap<>(env);
        Path root = Paths.get(System.getProperty("it.work.dir", "target/it-servers"));
        Files.createDirectories(root);
        this.userDir = Files.createTempDirectory(root.toAbsolutePath(), name + "-").resolve("usr");
        Path serverDir = userDir.resolve("servers").resolve(name);
        Files.createDirectories(serverDir.resolve("dropins"));
        Path config = Paths.get(required("it.server.config"));
        try (var files = Files.list(config)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(p)) {
                    Files.copy(p, serverDir.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Files.copy(Paths.get(required("it.war")), serverDir.resolve("dropins/goingaway.war"));
    }

    /** Prepares (does not start) a server; {@code env} are the settings it starts with. */
    public static LibertyProcess create(String name, Map<String, String> env) throws IOException {
        return new LibertyProcess(name, env);
    }

    /** Starts the server and waits until {@code /health/ready} answers 200. */
    public LibertyProcess start() throws IOException, InterruptedException {
        Path wlp = Paths.get(required("it.wlp.home"));
        ProcessBuilder pb = new ProcessBuilder(wlp.resolve("bin/server").toString(), "run", name);
        Map<String, String> e = pb.environment();
        e.put("WLP_USER_DIR", userDir.toString());
        e.put("HTTP_PORT", Integer.toString(httpPort));
        e.put("HTTPS_PORT", Integer.toString(FreePort.pick()));
        e.putIfAbsent("INSTANCE_ID", name);
        e.putAll(env);
        pb.redirectErrorStream(true).redirectOutput(userDir.resolve("console-" + name + ".log").toFile());
        process = pb.start();
        // If the test JVM itself is stopped (Ctrl-C, a CI timeout), its @AfterAll never runs:
        // do not leave the server behind.
        Process started = process;
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly, "stop-" + started.pid()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("server " + name + " exited during startup with " + process.exitValue()
                        + "; console:\n" + console());
            }
            if (status("/health/ready") == 200) {
                return this;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("server " + name + " not ready within 120 s; console:\n" + console());
            }
            Thread.sleep(100); // poll interval of the deadline-bounded readiness wait
        }
    }

    public String name() {
        return name;
    }

    public int httpPort() {
        return httpPort;
    }

    public long pid() {
        return process.pid();
    }

    public URI http(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    public URI ws(String query) {
        return URI.create("ws://127.0.0.1:" + httpPort + "/ws/chat" + (query == null || query.isEmpty() ? "" : "?" + query));
    }

    /** HTTP status of a GET, or -1 if the connection was refused or failed. */
    public int status(String path) {
        try {
            return get(path).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    public HttpResponse<String> get(String path) throws IOException {
        try {
            return HTTP.send(HttpRequest.newBuilder(http(path)).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    public HttpResponse<String> post(String path, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(http(path)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Whether the HTTP port still accepts connections. */
    public boolean portOpen() {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", httpPort), 500);
            return true;
        } catch (ConnectException e) {
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    /** Sends SIGTERM to the server's JVM (what Kubernetes, Docker and {@code kill} send). */
    public void sigterm() {
        signalledAtNanos = System.nanoTime();
        process.destroy(); // SIGTERM on Linux
    }

    public long signalledAtNanos() {
        return signalledAtNanos;
    }

    /** Waits for the process to end; returns its exit code, or fails if it is still running. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("server " + name + " still running " + timeout.toMillis() + " ms later");
        }
        return process.exitValue();
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    /** The server's messages.log (Liberty's own log plus the application's). */
    public String messagesLog() throws IOException {
        Path log = userDir.resolve("servers").resolve(name).resolve("logs/messages.log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    public String console() {
        try {
            return Files.readString(userDir.resolve("console-" + name + ".log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no console log: " + e + ")";
        }
    }

    /** The application file in dropins; removing it stops the application, not the server. */
    public Path deployedWar() {
        return userDir.resolve("servers").resolve(name).resolve("dropins/goingaway.war");
    }

    public Path userDir() {
        return userDir;
    }

    private static String required(String property) {
        String v = System.getProperty(property);
        if (v == null) {
            throw new IllegalStateException("system property " + property + " is not set (run through failsafe: mvn verify)");
        }
        return v;
    }

    /** A random-suffixed name so parallel or repeated runs never share a server name. */
    public static String uniqueName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Convenience for building env maps. */
    public static Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    static List<String> lines(String text) {
        return text.lines().toList();
    }
}
