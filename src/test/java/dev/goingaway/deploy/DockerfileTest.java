package dev.goingaway.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.goingaway.deploy.Dockerfile.Instruction;

/**
 * docker/Dockerfile passes the lint, and agrees with the build (pom.xml), the server
 * configuration (server.xml) and the build context (.dockerignore).
 */
class DockerfileTest {

    private static final Pattern BASE_IMAGE = Pattern.compile(
            "icr\\.io/appcafe/open-liberty:(?<version>[0-9.]+)-kernel-slim-java(?<java>17|21)-openj9-ubi-minimal");

    private final Dockerfile dockerfile = Dockerfile.parse(Project.read("docker/Dockerfile"));

    /** COPY instructions from the build context (not from another stage). */
    private List<Instruction> copies() {
        return dockerfile.all("COPY").stream().filter(i -> !i.flags().containsKey("from")).toList();
    }

    private static List<String> sources(Instruction copy) {
        List<String> parts = copy.exec() != null ? copy.exec() : List.of(copy.args().split("\\s+"));
        return parts.subList(0, parts.size() - 1);
    }

    private static String destination(Instruction copy) {
        List<String> parts = copy.exec() != null ? copy.exec() : List.of(copy.args().split("\\s+"));
        return parts.get(parts.size() - 1);
    }

    @Test
    void passesTheLint() {
        assertEquals(List.of(), DockerfileLint.check(dockerfile), "docker/Dockerfile has no lint problem");
    }

    @Test
    void buildsOnTheOfficialKernelSlimImageOfTheLibertyVersionTheBuildTestsWith() {
        List<Instruction> from = dockerfile.all("FROM");
        assertEquals(1, from.size(), "one stage: the WAR is built by Maven, not in the image");
        Matcher m = BASE_IMAGE.matcher(from.get(0).args());
        assertTrue(m.matches(), "the base is icr.io/appcafe/open-liberty:<version>-kernel-slim-java17|21-openj9-ubi-minimal: " + from.get(0).args());
        assertEquals(Project.pom().properties().get("version.openliberty"), m.group("version"),
                "the image runs the Liberty version pom.xml's version.openliberty builds and tests with");
    }

    @Test
    void layersGoConfigThenFeaturesThenWarThenConfigure() {
        List<String> steps = new ArrayList<>();
        for (Instruction i : dockerfile.instructions) {
            if (i.keyword().equals("COPY")) {
                steps.add("COPY " + sources(i));
            } else if (i.keyword().equals("RUN")) {
                steps.add("RUN " + i.args());
            }
        }
        String war = Project.pom().buildOutput();
        assertEquals(List.of("COPY [liberty/config/]", "RUN features.sh", "COPY [" + war + "]", "RUN configure.sh"), steps,
                "server config, then features.sh (a cached layer), then the WAR, then configure.sh last");
    }

    @Test
    void everyCopySourceIsInTheRepositoryOrIsTheBuildOutput() {
        String war = Project.pom().buildOutput();
        assertEquals("target/goingaway.war", war, "pom.xml's finalName and packaging make target/goingaway.war");
        for (Instruction copy : copies()) {
            for (String src : sources(copy)) {
                if (src.startsWith("target/")) {
                    // surefire runs before package: a build output is checked by name (DockerContextIT checks the file)
                    assertEquals(war, src, "line " + copy.line() + ": the only build output copied is the one pom.xml produces");
                } else {
                    assertTrue(Files.exists(Project.path(src)), "line " + copy.line() + ": COPY source " + src + " exists in the repository");
                }
            }
        }
    }

    @Test
    void dockerignoreLetsEveryCopySourceThroughAndKeepsTheRestOut() throws IOException {
        DockerIgnore ignore = DockerIgnore.parse(Project.read(".dockerignore"));
        for (Instruction copy : copies()) {
            for (String src : sources(copy)) {
                Path p = Project.path(src);
                if (Files.isDirectory(p)) {
                    try (Stream<Path> files = Files.walk(p)) {
                        files.filter(Files::isRegularFile).map(Project::relative).forEach(f ->
                                assertFalse(ignore.excludes(f), ".dockerignore lets " + f + " (COPY line " + copy.line() + ") into the context"));
                    }
                } else {
                    assertFalse(ignore.excludes(src), ".dockerignore lets " + src + " (COPY line " + copy.line() + ") into the context");
                }
            }
        }
        for (String big : List.of("target/liberty/wlp/lib/com.ibm.ws.kernel.boot.jar", "target/classes/dev/goingaway/config/Settings.class",
                ".git/HEAD", "src/main/java/dev/goingaway/config/Settings.java", "k8s/base/deployment.yaml")) {
            assertTrue(ignore.excludes(big), ".dockerignore keeps " + big + " out of the build context");
        }
    }

    @Test
    void theConfigGoesToTheServersConfigFolder() {
        Instruction config = copies().stream().filter(c -> sources(c).contains("liberty/config/")).findFirst()
                .orElseThrow(() -> new AssertionError("liberty/config/ is copied"));
        assertEquals("/config/", destination(config), "liberty/config/ becomes the image server's /config/");
    }

    @Test
    void theWarGoesWhereServerXmlLooksForIt() {
        String war = Project.pom().buildOutput();
        Instruction copy = copies().stream().filter(c -> sources(c).contains(war)).findFirst()
                .orElseThrow(() -> new AssertionError("the WAR is copied"));
        List<String> apps = Project.serverXml().applicationLocations();
        if (apps.isEmpty()) {
            assertEquals("/config/dropins/", destination(copy),
                    "server.xml declares no application, so the WAR must go to dropins to be deployed");
        } else {
            String file = war.substring(war.lastIndexOf('/') + 1);
            assertTrue(apps.contains(file), "server.xml's application location names the copied file " + file);
            assertEquals("/config/apps/", destination(copy), "a declared application is read from /config/apps/");
        }
    }

    @Test
    void exposesExactlyTheServersHttpPort() {
        List<String> exposed = dockerfile.all("EXPOSE").stream().flatMap(i -> Stream.of(i.args().split("\\s+")))
                .map(p -> p.replace("/tcp", "")).toList();
        assertEquals(List.of(String.valueOf(Project.serverXml().httpPort())), exposed, "EXPOSE is server.xml's http.port");
    }

    @Test
    void theHealthcheckAsksReadinessOnTheHttpPort() {
        Instruction h = dockerfile.last("HEALTHCHECK");
        assertNotNull(h, "there is a HEALTHCHECK");
        String port = String.valueOf(Project.serverXml().httpPort());
        assertTrue(h.args().contains(":${HTTP_PORT:-" + port + "}/health/ready") || h.args().contains(":" + port + "/health/ready"),
                "HEALTHCHECK asks /health/ready on HTTP_PORT, defaulting to server.xml's http.port: " + h.args());
        for (String flag : List.of("interval", "timeout", "start-period", "retries")) {
            assertTrue(h.flags().containsKey(flag), "HEALTHCHECK sets --" + flag + " explicitly");
        }
    }

    @Test
    void theJvmIsPid1AndTakesSigtermItself() {
        assertEquals(List.of("/opt/ol/helpers/runtime/docker-server.sh"), dockerfile.last("ENTRYPOINT").exec(),
                "ENTRYPOINT is the image's docker-server.sh, which ends in exec \"$@\"");
        assertEquals(List.of("/opt/ol/wlp/bin/server", "run", "defaultServer"), dockerfile.last("CMD").exec(),
                "CMD is `server run`, which replaces itself with the JVM in the foreground");
        assertEquals("SIGTERM", dockerfile.last("STOPSIGNAL").args(), "docker stop sends SIGTERM, the signal the app drains on");
    }

    @Test
    void runsAsTheImagesNonRootUserAndOwnsItsFilesWithGroupZero() {
        assertEquals("1001", dockerfile.last("USER").args(), "the server runs as the image's user 1001");
        for (Instruction copy : copies()) {
            assertEquals("1001:0", copy.flags().get("chown"),
                    "line " + copy.line() + ": copied files belong to 1001 and group 0 (OpenShift runs with an arbitrary uid in group 0)");
        }
    }

    // --- the lint on broken input ---------------------------------------------------------------

    private static final String GOOD = """
            FROM icr.io/appcafe/open-liberty:26.0.0.3-kernel-slim-java21-openj9-ubi-minimal
            USER 1001
            COPY --chown=1001:0 liberty/config/ /config/
            RUN features.sh
            EXPOSE 9080
            HEALTHCHECK --interval=5s CMD curl -fsS http://localhost:9080/health/ready || exit 1
            ENTRYPOINT ["/opt/ol/helpers/runtime/docker-server.sh"]
            CMD ["/opt/ol/wlp/bin/server", "run", "defaultServer"]
            """;

    static Stream<Arguments> brokenDockerfiles() {
        return Stream.of(
                Arguments.of("no tag", GOOD.replace(":26.0.0.3-kernel-slim-java21-openj9-ubi-minimal", ""), "DF003"),
                Arguments.of("latest", GOOD.replace("26.0.0.3-kernel-slim-java21-openj9-ubi-minimal", "latest"), "DF003"),
                Arguments.of("no USER", GOOD.replace("USER 1001\n", ""), "DF006"),
                Arguments.of("root at the end", GOOD + "USER root\n", "DF006"),
                Arguments.of("named user", GOOD.replace("USER 1001", "USER default"), "DF006"),
                Arguments.of("shell-form CMD", GOOD.replace("CMD [\"/opt/ol/wlp/bin/server\", \"run\", \"defaultServer\"]",
                        "CMD /opt/ol/wlp/bin/server run defaultServer"), "DF007"),
                Arguments.of("single-quoted exec form", GOOD.replace("ENTRYPOINT [\"/opt/ol/helpers/runtime/docker-server.sh\"]",
                        "ENTRYPOINT ['/opt/ol/helpers/runtime/docker-server.sh']"), "DF007"),
                Arguments.of("server start", GOOD.replace("\"run\"", "\"start\""), "DF015"),
                Arguments.of("no HEALTHCHECK", GOOD.replaceAll("HEALTHCHECK.*\n", ""), "DF008"),
                Arguments.of("misspelled instruction", GOOD.replace("EXPOSE 9080", "EXPSOE 9080"), "DF001"),
                Arguments.of("ADD", GOOD.replace("COPY --chown=1001:0", "ADD --chown=1001:0"), "DF005"),
                Arguments.of("COPY without chown", GOOD.replace("COPY --chown=1001:0", "COPY"), "DF014"),
                Arguments.of("-Xrs", GOOD + "ENV OPENJ9_JAVA_OPTIONS=-Xrs\n", "DF012"),
                Arguments.of("secret in ENV", GOOD + "ENV BROADCAST_TOKEN=abc\n", "DF013"),
                Arguments.of("STOPSIGNAL SIGKILL", GOOD + "STOPSIGNAL SIGKILL\n", "DF011"),
                Arguments.of("heredoc", GOOD + "RUN <<EOF\necho hi\nEOF\n", "heredocs are not read"));
    }

    @Test
    void theLintAcceptsTheSample() {
        assertEquals(List.of(), DockerfileLint.check(Dockerfile.parse(GOOD)), "the unbroken sample passes");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenDockerfiles")
    void theLintCatches(String what, String text, String rule) {
        List<String> problems = DockerfileLint.check(Dockerfile.parse(text));
        assertTrue(problems.stream().anyMatch(p -> p.contains(rule)), "the lint reports " + rule + " for " + what + ": " + problems);
    }

    @Test
    void continuationsAndCommentsAreReadAsDockerReadsThem() {
        Dockerfile d = Dockerfile.parse("""
                # syntax=docker/dockerfile:1
                FROM base:1
                # a comment
                RUN a \\
                # a comment inside the continuation
                    && b
                healthcheck --interval=5s \\
                    CMD true
                """);
        assertEquals("docker/dockerfile:1", d.directives.get("syntax"), "the parser directive is read");
        assertEquals(List.of("FROM", "RUN", "HEALTHCHECK"), d.instructions.stream().map(Instruction::keyword).toList(),
                "three instructions, keywords in any case");
        assertEquals("a && b", d.all("RUN").get(0).args(), "the continued RUN is one line without the comment");
        assertEquals("5s", d.last("HEALTHCHECK").flags().get("interval"), "flags are read");
        assertEquals(4, d.all("RUN").get(0).line(), "instructions keep their first line number");
    }

    @Test
    void dockerignoreFollowsBuildKitsRules() {
        DockerIgnore d = DockerIgnore.parse("""
                # comment
                *
                !target/*.war
                !keep/
                **/*.tmp
                """);
        assertTrue(d.excludes("src/main/App.java"), "'*' excludes a top-level folder and everything in it");
        assertFalse(d.excludes("target/goingaway.war"), "an exception lets a file back in");
        assertTrue(d.excludes("target/liberty/wlp/lib/x.jar"), "the exception matches only what it names");
        assertTrue(d.excludes("keep/a/b.tmp"), "a later pattern wins over an earlier exception");
        assertFalse(d.excludes("keep/a/b.txt"), "a folder exception lets everything in it back");
    }
}
