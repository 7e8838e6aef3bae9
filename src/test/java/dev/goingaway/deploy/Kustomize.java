package dev.goingaway.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.goingaway.deploy.StrictYaml.Doc;

/**
 * The part of kustomize this repository uses, done the same way: {@code resources} (files and
 * other kustomization folders, in order) and {@code patches} with JSON 6902 operations. Any other
 * kustomization field fails the build, so what the tests check is what {@code kubectl apply -k}
 * applies ({@code KustomizeTest} compares the two where kubectl is installed).
 */
final class Kustomize {

    /** A kustomization file; unknown fields are refused. */
    record Kustomization(String apiVersion, String kind, List<String> resources, List<Patch> patches) {
    }

    record Patch(String path, Target target) {
    }

    record Target(String group, String version, String kind, String name) {
    }

    /** One JSON 6902 operation. */
    record Op(String op, String path, JsonNode value) {
    }

    /** The result of a build: the documents, and every file that went into them. */
    record Build(List<Doc> docs, Set<Path> files) {
    }

    private Kustomize() {
    }

    static Build build(Path dir) {
        Set<Path> files = new LinkedHashSet<>();
        List<Doc> docs = build(dir.toAbsolutePath().normalize(), files, new LinkedHashSet<>());
        return new Build(docs, files);
    }

    private static List<Doc> build(Path dir, Set<Path> files, Set<Path> visiting) {
        if (!visiting.add(dir)) {
            throw new AssertionError("kustomization cycle through " + Project.relative(dir));
        }
        Path file = dir.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) {
            throw new AssertionError(Project.relative(dir) + " has no kustomization.yaml");
        }
        files.add(file);
        Doc kdoc = single(StrictYaml.load(file), file);
        Kustomization k = StrictYaml.bind(kdoc, kdoc.node(), Kustomization.class);
        if (!"kustomize.config.k8s.io/v1beta1".equals(k.apiVersion()) || !"Kustomization".equals(k.kind())) {
            throw new AssertionError(kdoc.where() + ": expected apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization");
        }
        List<Doc> out = new ArrayList<>();
        for (String r : k.resources() == null ? List.<String>of() : k.resources()) {
            Path p = dir.resolve(r).normalize();
            if (Files.isDirectory(p)) {
                out.addAll(build(p, files, visiting));
            } else if (Files.isRegularFile(p)) {
                if (!p.startsWith(dir)) {
                    // kustomize's load restrictor refuses files outside the kustomization's folder
                    throw new AssertionError(kdoc.where() + ": resource file " + r + " is outside " + Project.relative(dir)
                            + "; reference its folder's kustomization instead");
                }
                files.add(p);
                out.addAll(StrictYaml.load(p));
            } else {
                throw new AssertionError(kdoc.where() + ": resource " + r + " does not exist");
            }
        }
        for (Patch patch : k.patches() == null ? List.<Patch>of() : k.patches()) {
            Path p = dir.resolve(patch.path()).normalize();
            if (!Files.isRegularFile(p) || !p.startsWith(dir)) {
                throw new AssertionError(kdoc.where() + ": patch " + patch.path() + " is not a file in " + Project.relative(dir));
            }
            files.add(p);
            Doc pdoc = single(StrictYaml.load(p), p);
            if (!pdoc.node().isArray()) {
                throw new AssertionError(pdoc.where() + ": only JSON 6902 patches (a list of operations) are supported here");
            }
            List<Op> ops = new ArrayList<>();
            pdoc.node().forEach(n -> ops.add(StrictYaml.bind(pdoc, n, Op.class)));
            int matched = 0;
            for (int i = 0; i < out.size(); i++) {
                Doc d = out.get(i);
                if (matches(patch.target(), d.node())) {
                    JsonNode patched = d.node().deepCopy();
                    for (Op op : ops) {
                        patched = apply(pdoc, patched, op);
                    }
                    out.set(i, new Doc(d.source(), d.index(), patched));
                    matched++;
                }
            }
            if (matched == 0) {
                throw new AssertionError(kdoc.where() + ": patch " + patch.path() + " matches no resource");
            }
        }
        visiting.remove(dir);
        return out;
    }

    private static Doc single(List<Doc> docs, Path file) {
        if (docs.size() != 1) {
            throw new AssertionError(Project.relative(file) + " must hold exactly one YAML document");
        }
        return docs.get(0);
    }

    private static boolean matches(Target t, JsonNode n) {
        if (t == null) {
            throw new AssertionError("a patch needs a target");
        }
        String apiVersion = n.path("apiVersion").asText();
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
        return (t.group() == null || t.group().equals(group))
                && (t.version() == null || t.version().equals(version))
                && (t.kind() == null || t.kind().equals(n.path("kind").asText()))
                && (t.name() == null || t.name().equals(n.path("metadata").path("name").asText()));
    }

    /** RFC 6902 add, replace, remove and test on a tree. */
    static JsonNode apply(Doc where, JsonNode root, Op op) {
        if (op.path() == null || !op.path().startsWith("/")) {
            throw new AssertionError(where.where() + ": patch path must be a JSON pointer: " + op.path());
        }
        String[] tokens = op.path().substring(1).split("/", -1);
        JsonNode parent = root;
        for (int i = 0; i < tokens.length - 1; i++) {
            parent = child(parent, unescape(tokens[i]));
            if (parent == null || parent.isMissingNode()) {
                throw new AssertionError(where.where() + ": " + op.op() + " " + op.path() + ": parent does not exist");
            }
        }
        String last = unescape(tokens[tokens.length - 1]);
        switch (op.op()) {
            case "add", "replace" -> {
                if ("replace".equals(op.op()) && child(parent, last) == null) {
                    throw new AssertionError(where.where() + ": replace " + op.path() + ": nothing to replace");
                }
                if (parent instanceof ObjectNode o) {
                    o.set(last, op.value());
                } else if (parent instanceof ArrayNode a) {
                    if ("-".equals(last)) {
                        a.add(op.value());
                    } else if ("add".equals(op.op())) {
                        a.insert(Integer.parseInt(last), op.value());
                    } else {
                        a.set(Integer.parseInt(last), op.value());
                    }
                }
            }
            case "remove" -> {
                if (child(parent, last) == null) {
                    throw new AssertionError(where.where() + ": remove " + op.path() + ": nothing to remove");
                }
                if (parent instanceof ObjectNode o) {
                    o.remove(last);
                } else {
                    ((ArrayNode) parent).remove(Integer.parseInt(last));
                }
            }
            case "test" -> {
                if (!op.value().equals(child(parent, last))) {
                    throw new AssertionError(where.where() + ": test " + op.path() + " failed");
                }
            }
            default -> throw new AssertionError(where.where() + ": unsupported patch op " + op.op());
        }
        return root;
    }

    private static JsonNode child(JsonNode n, String token) {
        if (n.isObject()) {
            return n.get(token);
        }
        if (n.isArray() && token.matches("\\d+")) {
            return n.get(Integer.parseInt(token));
        }
        return null;
    }

    private static String unescape(String token) {
        return token.replace("~1", "/").replace("~0", "~");
    }
}
