package dev.goingaway.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A Dockerfile read by the rules of the Dockerfile reference: parser directives at the top,
 * comment lines, line continuations with the escape character, an instruction keyword in any
 * case, leading {@code --flag=value} options, and the exec (JSON array) or shell form.
 */
final class Dockerfile {

    /** One instruction; {@code exec} is the JSON array when the arguments are one, else null. */
    record Instruction(int line, String keyword, Map<String, String> flags, String args, List<String> exec) {

        boolean looksLikeExec() {
            return args.startsWith("[");
        }

        @Override
        public String toString() {
            return "line " + line + " " + keyword + " " + args;
        }
    }

    private static final Pattern DIRECTIVE = Pattern.compile("#\\s*([a-zA-Z]+)\\s*=\\s*(\\S+)\\s*");
    private static final Pattern FLAG = Pattern.compile("--([a-z][a-z-]*)(?:=(\\S*))?");
    private static final ObjectMapper JSON = new ObjectMapper();

    final Map<String, String> directives = new LinkedHashMap<>();
    final List<Instruction> instructions = new ArrayList<>();
    /** Problems of the text itself (not of its content), with line numbers. */
    final List<String> syntaxProblems = new ArrayList<>();

    private Dockerfile() {
    }

    static Dockerfile parse(String text) {
        Dockerfile d = new Dockerfile();
        String[] lines = text.split("\r?\n", -1);
        int i = 0;
        // Parser directives: only before anything else, comment lines of the form "# key=value".
        for (; i < lines.length; i++) {
            Matcher m = DIRECTIVE.matcher(lines[i].trim());
            if (!m.matches()) {
                break;
            }
            d.directives.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
        }
        char escape = d.directives.getOrDefault("escape", "\\").charAt(0);
        StringBuilder current = null;
        int start = 0;
        for (; i < lines.length; i++) {
            String raw = lines[i];
            String trimmed = raw.strip();
            if (trimmed.startsWith("#")) {
                continue; // comment lines vanish, even inside a continuation
            }
            if (current == null) {
                if (trimmed.isEmpty()) {
                    continue;
                }
                current = new StringBuilder();
                start = i + 1;
            }
            boolean continues = trimmed.endsWith(String.valueOf(escape));
            String part = continues ? stripEnd(raw.substring(0, raw.lastIndexOf(escape))) : raw;
            current.append(part.strip().isEmpty() ? "" : (current.length() == 0 ? part.strip() : " " + part.strip()));
            if (!continues) {
                d.add(start, current.toString());
                current = null;
            }
        }
        if (current != null) {
            d.syntaxProblems.add("line " + start + ": the file ends inside a line continuation");
            d.add(start, current.toString());
        }
        return d;
    }

    private void add(int line, String text) {
        int sp = text.indexOf(' ');
        String keyword = (sp < 0 ? text : text.substring(0, sp)).toUpperCase(Locale.ROOT);
        String rest = sp < 0 ? "" : text.substring(sp + 1).strip();
        Map<String, String> flags = new LinkedHashMap<>();
        if (!keyword.equals("CMD") && !keyword.equals("ENTRYPOINT") && !keyword.equals("ENV") && !keyword.equals("LABEL")) {
            while (rest.startsWith("--")) {
                int end = rest.indexOf(' ');
                String token = end < 0 ? rest : rest.substring(0, end);
                Matcher m = FLAG.matcher(token);
                if (!m.matches()) {
                    break;
                }
                flags.put(m.group(1), m.group(2) == null ? "" : m.group(2));
                rest = end < 0 ? "" : rest.substring(end + 1).strip();
            }
        }
        if (rest.contains("<<") && rest.matches(".*<<-?[\"']?[A-Za-z_]+[\"']?.*") && (keyword.equals("RUN") || keyword.equals("COPY"))) {
            syntaxProblems.add("line " + line + ": heredocs are not read by this checker; write the instruction without one");
        }
        instructions.add(new Instruction(line, keyword, flags, rest, execForm(rest)));
    }

    /** The exec form as Docker reads it: a JSON array of strings, else null (and it is shell form). */
    static List<String> execForm(String args) {
        if (!args.startsWith("[")) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(args);
            if (!n.isArray()) {
                return null;
            }
            List<String> out = new ArrayList<>();
            for (JsonNode e : n) {
                if (!e.isTextual()) {
                    return null;
                }
                out.add(e.asText());
            }
            return out;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    List<Instruction> all(String keyword) {
        return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    Instruction last(String keyword) {
        List<Instruction> l = all(keyword);
        return l.isEmpty() ? null : l.get(l.size() - 1);
    }

    private static String stripEnd(String s) {
        return s.stripTrailing();
    }
}
