package dev.goingaway.testing;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Starts the real Redis the Arquillian-managed server is configured with, before any test
 * class runs (Arquillian starts the server with the first test class, and the server reads
 * {@code redis.url} once). Only in the integration-test run, where the build reserved
 * {@code it.redis.port}. Tests reach it through {@link #get()} to stop, freeze or inspect it.
 */
public class SuiteRedis implements LauncherSessionListener {

    private static volatile RedisProcess redis;

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        String port = System.getProperty("it.redis.port");
        if (port == null || redis != null) {
            return;
        }
        try {
            redis = RedisProcess.start(Integer.parseInt(port));
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the suite's Redis on port " + port, e);
        }
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        RedisProcess r = redis;
        if (r != null) {
            try {
                r.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            redis = null;
        }
    }

    /** The suite's Redis; fails if the run has none (not an integration-test run). */
    public static RedisProcess get() {
        RedisProcess r = redis;
        if (r == null) {
            throw new IllegalStateException("no suite Redis: it.redis.port not set");
        }
        return r;
    }
}
