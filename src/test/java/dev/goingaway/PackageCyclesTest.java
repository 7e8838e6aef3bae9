package dev.goingaway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;

import org.junit.jupiter.api.Test;

/**
 * No two packages of the application depend on each other, directly or around a loop: the
 * dependencies are read from the compiled classes by the JDK's own {@code jdeps} (every
 * reference a class file makes, not only import lines), so the build fails on the first cycle.
 * The picture it holds is in docs/ARCHITECTURE.md.
 */
class PackageCyclesTest {

    private static final Path CLASSES = Path.of("target", "classes");
    private static final Pattern EDGE = Pattern.compile("^\\s*(dev\\.goingaway[\\w.]*)\\s+->\\s+(dev\\.goingaway[\\w.]*)\\s");

    /** Package to the packages of the application it uses, as jdeps reads them. */
    static Map<String, Set<String>> dependencies() {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new AssertionError("this JDK has no jdeps"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = jdeps.run(new PrintWriter(out), new PrintWriter(err),
                "-verbose:package", "-e", "dev\\.goingaway(\\..*)?", CLASSES.toString());
        assertEquals(0, status, "jdeps failed: " + err);
        Map<String, Set<String>> graph = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            Matcher m = EDGE.matcher(line);
            if (m.find() && !m.group(1).equals(m.group(2))) {
                graph.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
            }
        }
        return graph;
    }

    /** Every loop of the graph, each as the packages around it (Tarjan's strongly connected components). */
    static List<Set<String>> cycles(Map<String, Set<String>> graph) {
        List<Set<String>> found = new ArrayList<>();
        Map<String, Integer> index = new TreeMap<>();
        Map<String, Integer> low = new TreeMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        int[] next = {0};
        for (String node : graph.keySet()) {
            if (!index.containsKey(node)) {
                connect(node, graph, index, low, stack, onStack, next, found);
            }
        }
        return found;
    }

    private static void connect(String v, Map<String, Set<String>> graph, Map<String, Integer> index, Map<String, Integer> low,
                                Deque<String> stack, Set<String> onStack, int[] next, List<Set<String>> found) {
        index.put(v, next[0]);
        low.put(v, next[0]++);
        stack.push(v);
        onStack.add(v);
        for (String w : graph.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, graph, index, low, stack, onStack, next, found);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) {
                found.add(component);
            }
        }
    }

    @Test
    void thePackagesFormNoCycle() {
        assertTrue(Files.isDirectory(CLASSES.resolve("dev/goingaway")), "compiled classes expected in " + CLASSES);
        Map<String, Set<String>> graph = dependencies();
        assertTrue(graph.containsKey("dev.goingaway.chat") && graph.containsKey("dev.goingaway.shutdown"),
                "jdeps read the application's packages: " + graph);
        List<Set<String>> cycles = cycles(graph);
        StringBuilder detail = new StringBuilder();
        for (Set<String> cycle : cycles) {
            detail.append("\n  cycle: ").append(cycle);
            for (String p : cycle) {
                Set<String> into = new TreeSet<>(graph.getOrDefault(p, Set.of()));
                into.retainAll(cycle);
                detail.append("\n    ").append(p).append(" -> ").append(into);
            }
        }
        assertTrue(cycles.isEmpty(), "package cycles:" + detail);
    }

    @Test
    void theCycleFinderFindsACycle() {
        Map<String, Set<String>> graph = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d", Set.of("a"));
        assertEquals(List.of(Set.of("a", "b", "c")), cycles(graph));
        assertEquals(List.of(), cycles(Map.of("a", Set.of("b"), "b", Set.of())));
    }
}
