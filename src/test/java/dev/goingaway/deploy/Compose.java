package dev.goingaway.deploy;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.goingaway.deploy.StrictYaml.Doc;
import dev.goingaway.deploy.model.ComposeFile;
import dev.goingaway.deploy.model.ComposeFile.Service;

/** docker/compose.yml as Compose reads it: extension fields dropped, variables interpolated. */
final class Compose {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?}|\\$([A-Za-z_][A-Za-z0-9_]*)");

    private Compose() {
    }

    static ComposeFile load(String source, String text) {
        List<Doc> docs = StrictYaml.load(source, text);
        if (docs.size() != 1) {
            throw new AssertionError(source + " holds one YAML document");
        }
        JsonNode tree = docs.get(0).node().deepCopy();
        dropExtensions(tree);
        ComposeFile file = StrictYaml.bind(docs.get(0), tree, ComposeFile.class);
        if (file.services() == null || file.services().isEmpty()) {
            throw new AssertionError(source + " defines services");
        }
        return file;
    }

    private static void dropExtensions(JsonNode n) {
        if (n instanceof ObjectNode o) {
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                if (it.next().startsWith("x-")) {
                    it.remove();
                }
            }
            o.forEach(Compose::dropExtensions);
        } else if (n.isArray()) {
            n.forEach(Compose::dropExtensions);
        }
    }

    /**
     * A value as Compose passes it on when none of its variables is set in the shell or in .env:
     * {@code ${X:-d}} and {@code ${X-d}} give d, {@code ${X}} and {@code $X} give "", {@code $$}
     * gives "$". {@code ${X:?msg}} would stop Compose: that fails here too.
     */
    static String interpolate(String value) {
        Matcher m = VARIABLE.matcher(value);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group().equals("$$")) {
                replacement = "$";
            } else if (m.group(2) != null && m.group(2).endsWith("?")) {
                throw new AssertionError("${" + m.group(1) + m.group(2) + "...} requires " + m.group(1) + " to be set");
            } else if (m.group(2) != null) {
                replacement = m.group(3);
            } else {
                replacement = "";
            }
            m.appendReplacement(b, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(b);
        return b.toString();
    }

    /** The environment of a service after interpolation. */
    static Map<String, String> env(Service s) {
        Map<String, String> out = new LinkedHashMap<>();
        if (s.environment() != null) {
            s.environment().forEach((k, v) -> out.put(k, v == null ? "" : interpolate(v)));
        }
        return out;
    }

    /** Services running this project's image. */
    static Map<String, Service> apps(ComposeFile f) {
        Map<String, Service> out = new LinkedHashMap<>();
        String artifact = Project.pom().artifactId();
        f.services().forEach((name, s) -> {
            if (s.image() != null && Checks.imageName(s.image()).equals(artifact)) {
                out.put(name, s);
            }
        });
        return out;
    }
}
