package dev.goingaway.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

import dev.goingaway.deploy.StrictYaml.Doc;

/** The kustomize layout: every file is used, nothing is applied twice, and kustomize agrees. */
class KustomizeTest {

    static List<String> kustomizations() {
        return Overlay.kustomizations();
    }

    @Test
    void theDeployableOverlaysAreKubernetesOpenshiftAndOperator() {
        assertEquals(List.of("k8s/overlays/kubernetes", "k8s/overlays/openshift", "k8s/overlays/operator"),
                Overlay.deployable(), "k8s/overlays holds one folder per way to deploy");
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void buildsWithEveryResourceOnce(String dir) {
        List<Doc> docs = Kustomize.build(Project.path(dir)).docs();
        assertFalse(docs.isEmpty(), dir + " produces resources");
        Set<String> ids = new HashSet<>();
        for (Doc d : docs) {
            String id = d.node().path("kind").asText() + "/" + d.node().path("metadata").path("name").asText();
            assertTrue(ids.add(id), dir + " produces " + id + " only once (from " + d.where() + ")");
        }
    }

    @Test
    void everyYamlFileUnderK8sIsUsedBySomeKustomization() throws IOException {
        Set<Path> used = new HashSet<>();
        kustomizations().forEach(dir -> used.addAll(Kustomize.build(Project.path(dir)).files()));
        try (Stream<Path> s = Files.walk(Project.path("k8s"))) {
            List<String> orphans = s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .map(p -> p.toAbsolutePath().normalize()).filter(p -> !used.contains(p))
                    .map(Project::relative).toList();
            assertEquals(List.of(), orphans, "every YAML file under k8s/ is reachable from a kustomization");
        }
    }

    @Test
    void anUnsupportedKustomizeFieldIsRefused(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("kustomization.yaml"), """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                namePrefix: blue-
                resources: []
                """);
        AssertionError e = assertThrows(AssertionError.class, () -> Kustomize.build(tmp),
                "a transformer the tests do not reproduce would make them check something else than kustomize applies");
        assertTrue(e.getMessage().contains("namePrefix"), "the unsupported field is named: " + e.getMessage());
    }

    @Test
    void aMissingResourceIsRefused(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("kustomization.yaml"), """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources: [deploymnet.yaml]
                """);
        AssertionError e = assertThrows(AssertionError.class, () -> Kustomize.build(tmp), "a misspelled resource fails");
        assertTrue(e.getMessage().contains("deploymnet.yaml does not exist"), "the missing file is named: " + e.getMessage());
    }

    /**
     * The same build by the real kustomize (kubectl's), where kubectl is installed: same
     * resources, same content. Kustomize needs no cluster for this.
     */
    @ParameterizedTest
    @MethodSource("kustomizations")
    void kubectlKustomizeProducesTheSameResources(String dir) throws Exception {
        String kubectl = Processes.onPath("kubectl");
        assumeTrue(kubectl != null, "kubectl is not installed: comparison with the real kustomize skipped");
        Processes.Result r = Processes.run(60, List.of(kubectl, "kustomize", Project.path(dir).toString()));
        assertEquals(0, r.exitCode(), "kubectl kustomize " + dir + " succeeds: " + r.err());
        Map<String, JsonNode> theirs = byId(StrictYaml.load("kubectl kustomize " + dir, r.out()));
        Map<String, JsonNode> ours = byId(Kustomize.build(Project.path(dir)).docs());
        assertEquals(ours.keySet(), theirs.keySet(), dir + ": kustomize and the tests see the same resources");
        ours.forEach((id, node) -> assertEquals(node, theirs.get(id), dir + ": " + id + " is the same for kustomize and the tests"));
    }

    private static Map<String, JsonNode> byId(List<Doc> docs) {
        Map<String, JsonNode> m = new LinkedHashMap<>();
        docs.forEach(d -> m.put(d.node().path("apiVersion").asText() + " " + d.node().path("kind").asText() + "/"
                + d.node().path("metadata").path("name").asText(), d.node()));
        return m;
    }
}
