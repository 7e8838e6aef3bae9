package dev.goingaway.transport;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;

import dev.goingaway.shutdown.Transport;
import dev.goingaway.transport.jakarta.JakartaTransport;
import dev.goingaway.transport.servlet.ServletTransport;

/** The drain's {@link Transport}: the one {@code WS_TRANSPORT} chose ({@link TransportSelection}). */
@ApplicationScoped
public class Transports {

    @Produces
    @ApplicationScoped
    Transport chosen(Instance<ServletTransport> servlet, Instance<JakartaTransport> jakarta) {
        return switch (TransportSelection.configured()) {
            case SERVLET -> servlet.get();
            case JAKARTA -> jakarta.get();
        };
    }
}
