package dev.goingaway.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a local tool with a deadline; its output goes to files so a hung tool cannot block the test. */
final class Processes {

    record Result(int exitCode, String out, String err) {
    }

    private Processes() {
    }

    static Result run(long timeoutSeconds, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("deploy-test", ".out");
        Path err = Files.createTempFile("deploy-test", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            assertTrue(done, String.join(" ", command) + " finishes within " + timeoutSeconds + " s");
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** The executable's path if it is on PATH, else null. */
    static String onPath(String exe) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, exe);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }
}
