package dev.goingaway.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import jakarta.json.JsonObject;

import org.junit.jupiter.api.Test;

import dev.goingaway.testing.Json;
import dev.goingaway.testing.LibertyProcess;
import dev.goingaway.testing.Prometheus;
import dev.goingaway.testing.RedisProcess;
import dev.goingaway.testing.Replies;
import dev.goingaway.testing.TimedTalker;
import dev.goingaway.testing.WireClient;

/**
 * Several thousand generated bad frames ({@link BadInput}) from several connections at once
 * at a live server: each must be answered with exactly one error (or ack) frame or end in
 * the documented close code; a well-behaved client chatting alongside keeps getting acks;
 * and the server logs no errors or stack traces for any of it. The seed is printed; rerun a
 * failure with {@code -Dfuzz.seed=N} (and {@code -Dfuzz.frames=N}).
 */
class BadInputFuzzIT {

    private static final long SEED = Long.getLong("fuzz.seed", 20_260_521L);
    private static final int FRAMES = Integer.getInteger("fuzz.frames", 4_000);
    private static final int CONNECTIONS = 6;
    private static final int MAX_MESSAGE_BYTES = 16_384;
    private static final int MAX_TEXT_CHARS = 4_000;
    private static final Duration WAIT = Duration.ofSeconds(15);
    /** messages.log line at level E (SEVERE/ERROR): "[time] thread logger E message". */
    private static final Pattern ERROR_LINE = Pattern.compile("^\\[[^\\]]+\\] \\S+ \\S+\\s+E .*");

    /** A case that did not get what it should have. */
    private record Failure(int worker, int index, String caseText, String got) {
    }

    @Test
    void everyBadFrameIsAnsweredOrClosedAsDocumentedAndNothingElseSuffers() throws Exception {
        System.out.printf("BadInputFuzzIT seed=%d frames=%d connections=%d (rerun: -Dfuzz.seed=%d)%n",
                SEED, FRAMES, CONNECTIONS, SEED);
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
        ExecutorService workers = Executors.newFixedThreadPool(CONNECTIONS);
        try (RedisProcess redis = RedisProcess.start(0);
             LibertyProcess server = LibertyProcess.create(LibertyProcess.uniqueName("fuzz"), LibertyProcess.env(
                     "REDIS_URL", redis.url(), "RATE_LIMIT", "1000000",
                     "MAX_MESSAGE_BYTES", Integer.toString(MAX_MESSAGE_BYTES),
                     "MAX_TEXT_CHARS", Integer.toString(MAX_TEXT_CHARS))).start();
             TimedTalker bystander = TimedTalker.connect("bystander", server.ws("room=bystanders"), timer, 20,
                     "just chatting")) {

            Path ffdc = server.userDir().resolve("servers").resolve(server.name()).resolve("logs/ffdc");
            List<Path> ffdcBefore = list(ffdc);
            bystander.startTalking();

            Map<String, Integer> byKind = new ConcurrentSkipListMap<>();
            Map<String, Integer> outcomes = new ConcurrentSkipListMap<>();
            List<Failure> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            AtomicInteger next = new AtomicInteger();
            List<Future<?>> running = new ArrayList<>();
            long start = System.nanoTime();
            for (int w = 0; w < CONNECTIONS; w++) {
                int worker = w;
                running.add(workers.submit(() -> {
                    fuzz(server, worker, next, byKind, outcomes, failures);
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(10, TimeUnit.MINUTES);
            }
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            int acksDuringFuzz = bystander.acks();
            bystander.stopTalking();

            System.out.printf("fuzz: %d cases in %d ms; by kind %s%n", next.get(), tookMillis, byKind);
            System.out.printf("fuzz: outcomes %s%n", outcomes);
            Prometheus metrics = Prometheus.scrape(server);
            Map<String, Double> errors = new TreeMap<>();
            for (String code : List.of("bad_json", "bad_field", "unknown_type", "too_large", "bad_text", "internal")) {
                errors.put(code, metrics.value("ws_errors_total", "code", code));
            }
            System.out.printf("fuzz: ws_errors_total %s; bystander %d acks, p99 %d us, max %d us%n", errors,
                    acksDuringFuzz, TimedTalker.percentile(bystander.latenciesMicros(), 99),
                    TimedTalker.percentile(bystander.latenciesMicros(), 100));

            String log = server.messagesLog();
            long warnings = log.lines().filter(l -> l.matches("^\\[[^\\]]+\\] \\S+ \\S+\\s+W .*")).count();
            Map<String, Integer> ffdcTypes = ffdcExceptionTypes(list(ffdc).stream().filter(p -> !ffdcBefore.contains(p)).toList());
            System.out.printf("fuzz: %d warning lines in messages.log; FFDC incidents by exception %s%n", warnings, ffdcTypes);

            assertEquals(List.of(), failures.subList(0, Math.min(20, failures.size())),
                    failures.size() + " of " + next.get() + " cases were not answered as documented (first 20; seed " + SEED + ")");
            assertEquals(0.0, errors.get("internal"), "no bad input was treated as a server error");
            assertTrue(acksDuringFuzz >= 20, "the bystander kept chatting during the fuzz: " + acksDuringFuzz + " acks");
            assertEquals(0, bystander.errors(), "the bystander got no errors");

            List<String> errorLines = log.lines().filter(l -> ERROR_LINE.matcher(l).matches()).toList();
            assertEquals(List.of(), errorLines, "no SEVERE/ERROR lines in messages.log for client mistakes");
            List<String> stackLines = log.lines().filter(l -> l.startsWith("\tat ") || l.startsWith("Caused by")).toList();
            assertEquals(List.of(), stackLines.subList(0, Math.min(10, stackLines.size())), "no stack traces in messages.log");
            // Liberty itself files FFDC reports (in logs/ffdc; messages.log only gets an I line
            // pointing there) for some refusals it makes; nothing from the application may appear.
            List<String> foreign = foreignIncidents(list(ffdc).stream().filter(p -> !ffdcBefore.contains(p)).toList());
            assertEquals(List.of(), foreign, "FFDC reports only for Liberty's own refusals " + LIBERTY_OWN_FFDC
                    + " or a peer Liberty was still writing to going away; all incidents: " + ffdcTypes);
        } finally {
            workers.shutdownNow();
            timer.shutdownNow();
            timer.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static void fuzz(LibertyProcess server, int worker, AtomicInteger next, Map<String, Integer> byKind,
                             Map<String, Integer> outcomes, List<Failure> failures) throws Exception {
        BadInput input = new BadInput(new Random(SEED + worker), MAX_MESSAGE_BYTES, MAX_TEXT_CHARS);
        String room = "room=fuzz" + worker;
        Replies c = connect(server, room);
        try {
            for (int i = next.getAndIncrement(); i < FRAMES; i = next.getAndIncrement()) {
                BadInput.Case k = input.next();
                byKind.merge(k.kind(), 1, Integer::sum);
                String got;
                try {
                    for (BadInput.Frame f : k.frames()) {
                        c.wire().sendFrame(f.opcode(), f.payload(), f.fin());
                    }
                    got = outcome(c, k);
                } catch (IOException e) {
                    // the server may close while a large frame is still being written
                    got = outcome(c, k);
                }
                outcomes.merge(k.kind() + " -> " + got, 1, Integer::sum);
                if (!acceptable(k, got)) {
                    failures.add(new Failure(worker, i, k.preview(), got));
                }
                if (c.wire().ended()) {
                    c.close();
                    c = connect(server, room);
                }
            }
        } finally {
            c.close();
        }
    }

    private static Replies connect(LibertyProcess server, String room) throws Exception {
        Replies c = Replies.connect(server.ws(room));
        JsonObject welcome = c.nextFrame(WAIT);
        if (!"welcome".equals(welcome.getString("type"))) {
            throw new AssertionError("expected a welcome, got " + welcome);
        }
        return c;
    }

    /** What the server did: "ack", "error:CODE", "close:NNNN", or "ended-without-close". */
    private static String outcome(Replies c, BadInput.Case k) throws InterruptedException {
        while (true) {
            String text = c.next(WAIT);
            if (text == null) {
                WireClient.Event close = c.wire().closeFrame();
                if (close != null) {
                    return "close:" + close.code();
                }
                List<WireClient.Event> events = c.wire().events();
                WireClient.Event last = events.get(events.size() - 1);
                return "ended-without-close:" + last.kind() + (last.text() == null ? "" : ":" + last.text());
            }
            JsonObject f = Json.parse(text);
            String type = f.getString("type", "?");
            if ("message".equals(type)) {
                continue; // the worker's own message, delivered to its room before the ack
            }
            return "error".equals(type) ? "error:" + f.getString("code", "?") : type;
        }
    }

    private static boolean acceptable(BadInput.Case k, String got) {
        return switch (k.expect()) {
            case ANSWER -> got.equals("ack") || (got.startsWith("error:") && !got.equals("error:internal"));
            case ERROR -> got.startsWith("error:") && !got.equals("error:internal");
            case CLOSE -> got.startsWith("close:") && k.closeCodes().contains(Integer.parseInt(got.substring(6)));
        };
    }

    /**
     * What Liberty reports in FFDC by itself for client mistakes it handles: an oversized binary
     * frame (1009), invalid UTF-8 (1007), and the continuation frames that follow a message
     * it has just refused. CI once also saw a {@code java.io.IOException} (the file was not kept):
     * the fuzzer closes its socket as soon as a close frame arrives, and Liberty may still be
     * writing; that is accepted only from Liberty's own code, never through the application.
     */
    private static final java.util.Set<String> LIBERTY_OWN_FFDC = java.util.Set.of(
            "com.ibm.ws.wsoc.MaxMessageException", "java.nio.charset.MalformedInputException",
            "com.ibm.ws.wsoc.FrameFormatException");

    /**
     * FFDC incidents that are not Liberty handling a client's mistake: any incident whose stack
     * passes through the application, and any exception other than Liberty's refusals and an
     * I/O error inside Liberty's own WebSocket or TCP code (the fuzzer drops a connection as
     * soon as it sees a close frame, sometimes while Liberty is still writing to it). Each is
     * described by its header and first stack lines.
     */
    private static List<String> foreignIncidents(List<Path> files) throws IOException {
        List<String> foreign = new ArrayList<>();
        for (Path f : files) {
            if (!f.getFileName().toString().startsWith("ffdc_")) {
                continue;
            }
            List<String> lines = Files.readAllLines(f, java.nio.charset.StandardCharsets.ISO_8859_1);
            String type = field(lines, "Exception = ");
            String source = field(lines, "Source = ");
            boolean throughApp = lines.stream().anyMatch(l -> l.trim().startsWith("at dev.goingaway."));
            boolean libertyIo = type.startsWith("java.io.") && source.startsWith("com.ibm.ws.");
            if (throughApp || !(LIBERTY_OWN_FFDC.contains(type) || libertyIo)) {
                int stackAt = Math.max(0, lines.indexOf(lines.stream().filter(l -> l.startsWith("Stack Dump")).findFirst().orElse("")));
                foreign.add(f.getFileName() + ": " + String.join(" | ", lines.subList(0, Math.min(lines.size(), Math.max(4, stackAt + 8)))));
            }
        }
        return foreign;
    }

    private static String field(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length()).trim())
                .findFirst().orElse("(unknown)");
    }

    /** Exception class of each FFDC incident file, counted. */
    private static Map<String, Integer> ffdcExceptionTypes(List<Path> files) throws IOException {
        Map<String, Integer> types = new TreeMap<>();
        for (Path f : files) {
            if (!f.getFileName().toString().startsWith("ffdc_")) {
                continue;
            }
            String type = field(Files.readAllLines(f, java.nio.charset.StandardCharsets.ISO_8859_1), "Exception = ");
            types.merge(type, 1, Integer::sum);
        }
        return types;
    }

    private static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }
}
