package dev.goingaway.deploy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** haproxy.cfg as sections of tokenised lines: enough to check what the proxy does with a drain. */
final class HaproxyConfig {

    private static final Set<String> SECTIONS = Set.of("global", "defaults", "frontend", "backend", "listen",
            "resolvers", "peers", "userlist", "program", "http-errors", "ring", "cache", "mailers");

    record Section(String type, String name, List<List<String>> lines) {

        /** The first line starting with these keywords, e.g. {@code ("timeout", "tunnel")}. */
        Optional<List<String>> line(String... keywords) {
            return lines.stream().filter(l -> l.size() >= keywords.length
                    && l.subList(0, keywords.length).equals(Arrays.asList(keywords))).findFirst();
        }

        List<List<String>> all(String keyword) {
            return lines.stream().filter(l -> l.get(0).equals(keyword)).toList();
        }
    }

    final List<Section> sections = new ArrayList<>();

    static HaproxyConfig parse(String text) {
        HaproxyConfig c = new HaproxyConfig();
        Section current = null;
        for (String raw : text.split("\r?\n")) {
            String line = raw.replaceAll("(^|\\s)#.*$", "").strip();
            if (line.isEmpty()) {
                continue;
            }
            List<String> tokens = List.of(line.split("\\s+"));
            if (SECTIONS.contains(tokens.get(0))) {
                current = new Section(tokens.get(0), tokens.size() > 1 ? tokens.get(1) : "", new ArrayList<>());
                c.sections.add(current);
            } else if (current == null) {
                throw new AssertionError("haproxy.cfg: '" + line + "' is outside any section");
            } else {
                current.lines().add(tokens);
            }
        }
        return c;
    }

    Optional<Section> section(String type, String name) {
        return sections.stream().filter(s -> s.type().equals(type) && s.name().equals(name)).findFirst();
    }

    Section defaults() {
        return sections.stream().filter(s -> s.type().equals("defaults")).findFirst()
                .orElseThrow(() -> new AssertionError("haproxy.cfg has a defaults section"));
    }

    /** A setting of a backend, else of the defaults section. */
    Optional<List<String>> setting(Section backend, String... keywords) {
        Optional<List<String>> own = backend.line(keywords);
        return own.isPresent() ? own : defaults().line(keywords);
    }

    /** The value after {@code name} on a server or default-server line ({@code inter 1s}). */
    static Optional<String> option(List<String> line, String name) {
        int i = line.indexOf(name);
        return i >= 0 && i + 1 < line.size() ? Optional.of(line.get(i + 1)) : Optional.empty();
    }
}
