package dev.goingaway.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A .dockerignore as BuildKit reads it: one pattern a line, '#' comments, '!' exceptions, the
 * last matching pattern wins, and a pattern that matches a folder matches everything in it.
 * Patterns use Go's filepath.Match syntax plus '**' for any number of folders.
 */
final class DockerIgnore {

    private record Rule(Pattern pattern, boolean exception, String text) {
    }

    private final List<Rule> rules = new ArrayList<>();

    private DockerIgnore() {
    }

    static DockerIgnore parse(String text) {
        DockerIgnore d = new DockerIgnore();
        for (String line : text.split("\r?\n")) {
            String s = line.strip();
            if (s.isEmpty() || s.startsWith("#")) {
                continue;
            }
            boolean exception = s.startsWith("!");
            if (exception) {
                s = s.substring(1).strip();
            }
            s = clean(s);
            d.rules.add(new Rule(Pattern.compile(regex(s)), exception, line.strip()));
        }
        return d;
    }

    /** Whether a path of the context (relative, '/'-separated) is left out of the build context. */
    boolean excludes(String path) {
        String p = clean(path);
        boolean excluded = false;
        for (Rule r : rules) {
            if (matchesOrParentMatches(r.pattern(), p)) {
                excluded = !r.exception();
            }
        }
        return excluded;
    }

    private static boolean matchesOrParentMatches(Pattern pattern, String path) {
        if (pattern.matcher(path).matches()) {
            return true;
        }
        String[] parts = path.split("/");
        StringBuilder parent = new StringBuilder();
        for (int i = 0; i < parts.length - 1; i++) {
            if (i > 0) {
                parent.append('/');
            }
            parent.append(parts[i]);
            if (pattern.matcher(parent).matches()) {
                return true;
            }
        }
        return false;
    }

    private static String clean(String s) {
        String c = s.replace('\\', '/');
        while (c.startsWith("/")) {
            c = c.substring(1);
        }
        while (c.startsWith("./")) {
            c = c.substring(2);
        }
        while (c.endsWith("/") && c.length() > 1) {
            c = c.substring(0, c.length() - 1);
        }
        return c;
    }

    private static String regex(String glob) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                i++;
                if (i + 1 < glob.length() && glob.charAt(i + 1) == '/') {
                    i++;
                    b.append("(?:.*/)?"); // "**/" : zero or more folders
                } else {
                    b.append(".*");
                }
            } else if (c == '*') {
                b.append("[^/]*");
            } else if (c == '?') {
                b.append("[^/]");
            } else if (c == '[') {
                int end = glob.indexOf(']', i);
                String cls = glob.substring(i + 1, end).replace("\\", "\\\\");
                b.append('[').append(cls.startsWith("^") ? "^" + cls.substring(1) : cls).append(']');
                i = end;
            } else {
                b.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return b.toString();
    }
}
