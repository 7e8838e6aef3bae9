package dev.goingaway.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

/**
 * After {@code package}: the file docker/Dockerfile copies exists, and it is a WAR the image can
 * deploy from dropins at the context root the URLs assume. Runs in failsafe, after the WAR exists;
 * the build passes the WAR's path as {@code it.war}.
 */
class DockerContextIT {

    private final Path war = Project.path(Project.pom().buildOutput());

    @BeforeEach
    void onlyAfterPackage() {
        String built = System.getProperty("it.war");
        assumeTrue(built != null, "it.war is set by failsafe after package; a surefire run (-Dtest=...) comes before the WAR exists");
        assertEquals(Paths.get(built).toAbsolutePath().normalize(), war.toAbsolutePath().normalize(),
                "the WAR the build makes (it.war) is the file docker/Dockerfile copies");
    }

    @Test
    void theWarTheDockerfileCopiesExists() {
        assertTrue(Files.isRegularFile(war), war + " exists after package (COPY target/goingaway.war)");
        assertFalse(DockerIgnore.parse(Project.read(".dockerignore")).excludes(Project.relative(war)),
                ".dockerignore lets the WAR into the build context");
    }

    @Test
    void theWarIsServedAtTheRootFromDropins() throws Exception {
        try (ZipFile zip = new ZipFile(war.toFile())) {
            ZipEntry ext = zip.getEntry("WEB-INF/ibm-web-ext.xml");
            assertNotNull(ext, "the WAR sets its context root in WEB-INF/ibm-web-ext.xml (dropins otherwise uses the file name)");
            try (InputStream in = zip.getInputStream(ext)) {
                var f = DocumentBuilderFactory.newInstance();
                f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
                Element root = (Element) f.newDocumentBuilder().parse(in).getDocumentElement().getElementsByTagName("context-root").item(0);
                assertNotNull(root, "ibm-web-ext.xml has a context-root");
                assertEquals("/", root.getAttribute("uri"), "the context root is / so /ws/chat and / work as DESIGN.md says");
            }
            assertNotNull(zip.getEntry("WEB-INF/classes/dev/goingaway/shutdown/GracefulShutdown.class"), "the drain is in the WAR");
        }
    }

    @Test
    void noTestDependencyEndsUpInTheImage() throws IOException {
        try (ZipFile zip = new ZipFile(war.toFile())) {
            List<String> libs = zip.stream().map(ZipEntry::getName).filter(n -> n.startsWith("WEB-INF/lib/")).toList();
            for (String forbidden : List.of("kubernetes-", "openshift-", "snakeyaml", "jackson-", "junit")) {
                assertTrue(libs.stream().noneMatch(l -> l.contains(forbidden)), "no " + forbidden + "* jar in the WAR: " + libs);
            }
        }
    }
}
