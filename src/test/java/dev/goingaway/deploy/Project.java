package dev.goingaway.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** The repository the tests run in, and the facts the deployment files must agree with. */
final class Project {

    private static final Path ROOT = findRoot();

    private Project() {
    }

    static Path root() {
        return ROOT;
    }

    static Path path(String relative) {
        return ROOT.resolve(relative);
    }

    static String read(String relative) {
        return read(path(relative));
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Path relative to the repository root, with '/' separators, for messages and matching. */
    static String relative(Path file) {
        return ROOT.relativize(file.toAbsolutePath().normalize()).toString().replace('\\', '/');
    }

    private static Path findRoot() {
        // Surefire sets basedir; an IDE usually runs in the module directory.
        Path start = Paths.get(System.getProperty("basedir", "")).toAbsolutePath().normalize();
        for (Path p = start; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("liberty"))) {
                return p;
            }
        }
        throw new IllegalStateException("no pom.xml with a liberty/ folder above " + start);
    }

    /** What pom.xml says about the build output. */
    record Pom(String artifactId, String version, String packaging, String finalName, Map<String, String> properties) {

        /** The file {@code package} writes, relative to the repository root: {@code target/goingaway.war}. */
        String buildOutput() {
            return "target/" + finalName + "." + packaging;
        }
    }

    /** What liberty/config/server.xml says: variables with defaults, features, declared applications. */
    record ServerXml(Map<String, String> variableDefaults, List<String> features, List<String> applicationLocations) {

        int httpPort() {
            String port = variableDefaults.get("http.port");
            if (port == null) {
                throw new AssertionError("server.xml declares no http.port variable with a defaultValue");
            }
            return Integer.parseInt(port);
        }
    }

    private static Pom pom;
    private static ServerXml serverXml;

    /** pom.xml, read once per test run. */
    static synchronized Pom pom() {
        if (pom == null) {
            pom = readPom();
        }
        return pom;
    }

    /** liberty/config/server.xml, read once per test run. */
    static synchronized ServerXml serverXml() {
        if (serverXml == null) {
            serverXml = readServerXml();
        }
        return serverXml;
    }

    private static Pom readPom() {
        Element project = xml(path("pom.xml")).getDocumentElement();
        String artifactId = childText(project, "artifactId");
        String version = childText(project, "version");
        String packaging = childText(project, "packaging");
        Map<String, String> properties = new LinkedHashMap<>();
        Element props = child(project, "properties");
        if (props != null) {
            for (Element e : children(props)) {
                properties.put(e.getTagName(), e.getTextContent().trim());
            }
        }
        Element build = child(project, "build");
        String finalName = build == null ? null : childText(build, "finalName");
        return new Pom(artifactId, version, packaging == null ? "jar" : packaging,
                finalName == null ? artifactId + "-" + version : finalName, properties);
    }

    private static ServerXml readServerXml() {
        Element server = xml(path("liberty/config/server.xml")).getDocumentElement();
        Map<String, String> variables = new LinkedHashMap<>();
        List<String> features = new ArrayList<>();
        List<String> apps = new ArrayList<>();
        for (Element e : children(server)) {
            switch (e.getTagName()) {
                case "variable" -> variables.put(e.getAttribute("name"),
                        e.hasAttribute("defaultValue") ? e.getAttribute("defaultValue") : e.getAttribute("value"));
                case "featureManager" -> children(e).stream().filter(f -> f.getTagName().equals("feature"))
                        .forEach(f -> features.add(f.getTextContent().trim()));
                case "application", "webApplication", "enterpriseApplication" -> apps.add(e.getAttribute("location"));
                default -> { }
            }
        }
        return new ServerXml(variables, features, apps);
    }

    private static Document xml(Path file) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return f.newDocumentBuilder().parse(file.toFile());
        } catch (Exception e) {
            throw new IllegalStateException("cannot parse " + file, e);
        }
    }

    private static List<Element> children(Element parent) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i).getNodeType() == Node.ELEMENT_NODE) {
                out.add((Element) nodes.item(i));
            }
        }
        return out;
    }

    private static Element child(Element parent, String name) {
        return children(parent).stream().filter(e -> e.getTagName().equals(name)).findFirst().orElse(null);
    }

    private static String childText(Element parent, String name) {
        Element e = child(parent, name);
        return e == null ? null : e.getTextContent().trim();
    }
}
