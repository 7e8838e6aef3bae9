package dev.goingaway.web;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * A real headless Chromium, from Debian's {@code chromium} package, driven through Debian's
 * {@code chromedriver} by Selenium. Both paths are given to Selenium, which therefore never
 * runs Selenium Manager and never downloads a browser or a driver. When the packages are
 * missing and the test runs as root (as CI does), they are installed with apt-get; otherwise
 * the test fails, since a page test without a browser proves nothing.
 */
final class Browser implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Browser.class.getName());

    static final Path CHROMIUM = Paths.get("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Paths.get("/usr/bin/chromedriver");
    /** Where screenshots, driver logs and throwaway profiles go (not committed). */
    static final Path OUT = Paths.get("target", "e2e");

    private final String name;
    private final ChromeDriverService service;
    private final ChromeDriver driver;
    private final Path profile;
    private final List<LogEntry> console = new ArrayList<>();

    private Browser(String name, ChromeDriverService service, ChromeDriver driver, Path profile) {
        this.name = name;
        this.service = service;
        this.driver = driver;
        this.profile = profile;
    }

    /** Makes sure Chromium and its driver are installed, installing them if possible. */
    static synchronized void ensureInstalled() throws IOException, InterruptedException {
        if (installed()) {
            return;
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new AssertionError("the page tests need " + CHROMIUM + " and " + CHROMEDRIVER
                    + "; install them with: sudo apt-get install -y chromium chromium-driver");
        }
        LOG.log(Level.WARNING, "{0} or {1} missing: installing Debian''s chromium and chromium-driver",
                new Object[] {CHROMIUM, CHROMEDRIVER});
        Files.createDirectories(OUT);
        run(List.of("apt-get", "-o", "DPkg::Lock::Timeout=300", "update"));
        run(List.of("apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "--no-install-recommends",
                "chromium", "chromium-driver"));
        if (!installed()) {
            throw new AssertionError("apt-get finished but " + CHROMIUM + " / " + CHROMEDRIVER
                    + " are still missing; see " + OUT.resolve("apt-get.log"));
        }
    }

    private static boolean installed() {
        return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(OUT.resolve("apt-get.log").toFile()));
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process p = pb.start();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within 15 minutes");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed with exit code " + p.exitValue()
                    + "; see " + OUT.resolve("apt-get.log"));
        }
    }

    /** Starts a fresh browser with its own empty profile. */
    static Browser start(String name) throws IOException, InterruptedException {
        ensureInstalled();
        Files.createDirectories(OUT);
        Path profile = Files.createTempDirectory(OUT.toAbsolutePath(), "profile-" + name + "-");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogFile(OUT.resolve("chromedriver-" + name + ".log").toFile())
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1100,820", "--user-data-dir=" + profile);
        LoggingPreferences logging = new LoggingPreferences();
        logging.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logging);
        ChromeDriver driver;
        try {
            driver = new ChromeDriver(service, options);
        } catch (RuntimeException e) {
            service.stop();
            throw e;
        }
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30)).scriptTimeout(Duration.ofSeconds(10));
        return new Browser(name, service, driver, profile);
    }

    String name() {
        return name;
    }

    ChromeDriver driver() {
        return driver;
    }

    /** Everything the page wrote to the console (and CSP reports), since the browser started. */
    synchronized List<LogEntry> console() {
        console.addAll(driver.manage().logs().get(LogType.BROWSER).getAll());
        return List.copyOf(console);
    }

    /** Saves a PNG of the window to {@code target/e2e/<file>}; returns its path. */
    Path screenshot(String file) throws IOException {
        Path target = OUT.resolve(file);
        File shot = driver.getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
        return target;
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                LOG.log(Level.FINE, "profile {0} not removed: {1}", new Object[] {profile, e.toString()});
            }
        }
    }
}
