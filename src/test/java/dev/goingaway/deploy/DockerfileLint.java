package dev.goingaway.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import dev.goingaway.deploy.Dockerfile.Instruction;

/**
 * hadolint-style rules for a Dockerfile that runs a server as PID 1 on a shared platform. Each
 * problem names its line and rule. General rules only; what must agree with the rest of this
 * repository is checked in {@code DockerfileTest}.
 */
final class DockerfileLint {

    static final Set<String> INSTRUCTIONS = Set.of("FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD",
            "COPY", "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL");

    private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(TOKEN|PASSWORD|PASSWD|SECRET|API_KEY).*");
    private static final Pattern NUMERIC_USER = Pattern.compile("(\\d+)(?::(\\d+))?");

    private DockerfileLint() {
    }

    static List<String> check(Dockerfile d) {
        List<String> p = new ArrayList<>(d.syntaxProblems);
        if (d.instructions.isEmpty()) {
            p.add("DF000 the Dockerfile has no instructions");
            return p;
        }
        for (Instruction i : d.instructions) {
            if (!INSTRUCTIONS.contains(i.keyword())) {
                p.add(at(i, "DF001 unknown instruction " + i.keyword()));
            }
        }
        Instruction first = d.instructions.stream().filter(i -> !i.keyword().equals("ARG")).findFirst().orElse(null);
        if (first == null || !first.keyword().equals("FROM")) {
            p.add("DF002 the first instruction (after ARGs) must be FROM");
        }
        for (Instruction i : d.all("FROM")) {
            String image = i.args().split("\\s+")[0];
            String last = image.substring(image.lastIndexOf('/') + 1);
            if (image.contains("$")) {
                p.add(at(i, "DF003 base image " + image + " is a variable; pin it in the FROM line"));
            } else if (!image.contains("@sha256:") && !last.contains(":") && !image.equals("scratch")) {
                p.add(at(i, "DF003 base image " + image + " has no tag; pin one"));
            } else if (last.endsWith(":latest")) {
                p.add(at(i, "DF003 base image " + image + " uses latest; pin a version"));
            }
        }
        d.all("MAINTAINER").forEach(i -> p.add(at(i, "DF004 MAINTAINER is deprecated; use LABEL org.opencontainers.image.authors")));
        d.all("ADD").forEach(i -> p.add(at(i, "DF005 use COPY, not ADD, for files (ADD also unpacks and downloads)")));
        Instruction user = d.last("USER");
        if (user == null) {
            p.add("DF006 no USER: say which user runs the server");
        } else {
            var m = NUMERIC_USER.matcher(user.args());
            if (!m.matches()) {
                p.add(at(user, "DF006 USER " + user.args() + " is not numeric; Kubernetes can only verify runAsNonRoot for a numeric uid"));
            } else if (Integer.parseInt(m.group(1)) == 0) {
                p.add(at(user, "DF006 the last USER is root"));
            }
        }
        for (String k : List.of("CMD", "ENTRYPOINT")) {
            List<Instruction> all = d.all(k);
            if (all.size() > 1) {
                p.add(at(all.get(0), "DF009 more than one " + k + "; only the last takes effect"));
            }
            for (Instruction i : all) {
                if (i.exec() == null) {
                    p.add(at(i, "DF007 " + k + " " + (i.looksLikeExec() ? "looks like exec form but is not a JSON array of strings (Docker then runs it through a shell)"
                            : "is in shell form; /bin/sh -c would be PID 1 and swallow SIGTERM") + ": " + i.args()));
                }
            }
        }
        Instruction cmd = d.last("CMD");
        if (cmd == null) {
            p.add("DF015 no CMD: say which process is PID 1");
        } else if (cmd.exec() != null && cmd.exec().size() >= 2 && cmd.exec().get(0).endsWith("/server") && !cmd.exec().get(1).equals("run")) {
            p.add(at(cmd, "DF015 the server must run in the foreground (server run), not " + cmd.exec().get(1)));
        }
        List<Instruction> health = d.all("HEALTHCHECK");
        if (health.isEmpty()) {
            p.add("DF008 no HEALTHCHECK");
        } else {
            if (health.size() > 1) {
                p.add(at(health.get(0), "DF009 more than one HEALTHCHECK; only the last takes effect"));
            }
            Instruction h = health.get(health.size() - 1);
            if (h.args().toUpperCase().startsWith("NONE")) {
                p.add(at(h, "DF008 HEALTHCHECK NONE turns health checking off"));
            } else if (!h.args().toUpperCase().startsWith("CMD ")) {
                p.add(at(h, "DF008 HEALTHCHECK needs CMD"));
            }
            for (String flag : h.flags().keySet()) {
                if (!Set.of("interval", "timeout", "start-period", "start-interval", "retries").contains(flag)) {
                    p.add(at(h, "DF008 unknown HEALTHCHECK option --" + flag));
                }
            }
        }
        Instruction stop = d.last("STOPSIGNAL");
        if (stop != null && !stop.args().equals("SIGTERM") && !stop.args().equals("15")) {
            p.add(at(stop, "DF011 STOPSIGNAL " + stop.args() + ": the server drains on SIGTERM"));
        }
        for (Instruction i : d.instructions) {
            if (i.args().contains("-Xrs")) {
                p.add(at(i, "DF012 -Xrs stops the JVM from handling SIGTERM, and the app from draining"));
            }
            if (i.keyword().equals("RUN") && i.args().matches("(^|.*[\\s;&|])sudo\\s.*")) {
                p.add(at(i, "DF010 sudo in RUN; use USER"));
            }
            if (i.keyword().equals("RUN") && i.looksLikeExec() && i.exec() == null) {
                p.add(at(i, "DF007 RUN looks like exec form but is not a JSON array of strings"));
            }
            if ((i.keyword().equals("ENV") || i.keyword().equals("ARG"))) {
                String name = i.args().split("[=\\s]")[0];
                if (SECRET_NAME.matcher(name).matches()) {
                    p.add(at(i, "DF013 " + i.keyword() + " " + name + " bakes a secret into the image; pass it at run time"));
                }
            }
            if (i.keyword().equals("WORKDIR") && !i.args().startsWith("/") && !i.args().startsWith("$")) {
                p.add(at(i, "DF016 WORKDIR must be absolute"));
            }
            if (i.keyword().equals("EXPOSE")) {
                for (String port : i.args().split("\\s+")) {
                    if (!port.matches("\\d{1,5}(/(tcp|udp))?")) {
                        p.add(at(i, "DF017 EXPOSE " + port + " is not a port"));
                    }
                }
            }
            if ((i.keyword().equals("COPY") || i.keyword().equals("ADD")) && !i.flags().containsKey("from")) {
                String chown = i.flags().get("chown");
                if (chown == null && user != null) {
                    p.add(at(i, "DF014 COPY without --chown: the files belong to root, not to USER " + user.args()));
                }
            }
        }
        return p;
    }

    private static String at(Instruction i, String message) {
        return "line " + i.line() + ": " + message;
    }
}
