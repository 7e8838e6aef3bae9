package dev.goingaway.shutdown;

/**
 * Fired (synchronously, as a CDI event) by a transport that is about to end its connections
 * while the application stops, before {@code @BeforeDestroyed(ApplicationScoped)}: Liberty
 * destroys servlets first, so the servlet transport fires it from its {@code destroy()} and the
 * drain runs there, or its clients are gone before the drain looks for them. The drain owns the
 * event; a transport only fires it.
 */
public final class TransportStopping {
}
