package dev.goingaway.websocket;

/**
 * Fired (synchronously, as a CDI event) when the servlet transport is being destroyed with its
 * connections still open: Liberty destroys servlets before it fires
 * {@code @BeforeDestroyed(ApplicationScoped)}, so an application stop must drain here or its
 * clients are gone before the drain looks for them.
 */
public final class TransportStopping {
}
