package dev.goingaway.transport;

import java.util.Locale;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.ServletRegistration;
import jakarta.servlet.annotation.WebListener;
import jakarta.websocket.Endpoint;
import jakarta.websocket.server.ServerApplicationConfig;
import jakarta.websocket.server.ServerEndpointConfig;

import org.eclipse.microprofile.config.ConfigProvider;

import dev.goingaway.transport.jakarta.ChatEndpoint;
import dev.goingaway.transport.servlet.WebSocketServlet;

/**
 * Which transport carries {@code /ws/chat}, chosen once, at start, from {@code WS_TRANSPORT}:
 * {@code servlet}, the default ({@link WebSocketServlet}: the project's own RFC 6455 framing on
 * a Servlet upgrade), or {@code jakarta} (Liberty's Jakarta WebSocket: the {@code @ServerEndpoint}
 * {@link ChatEndpoint}). The servlet transport drains 10,000 connections about twice as fast
 * with half the heap per connection (docs/BENCHMARKS.md); Jakarta stays available, and CI runs
 * the shutdown, chat and abuse suites on both. Read from MicroProfile Config directly, because
 * these decisions are taken while the application deploys, before CDI beans are available: as
 * a {@link ServerApplicationConfig} it keeps the annotated endpoint out when the servlet
 * transport is chosen, and as a listener it registers the servlet in that case. The drain's
 * view of the chosen transport comes from {@link Transports}.
 */
@WebListener
public class TransportSelection implements ServerApplicationConfig, ServletContextListener {

    private static final Logger LOG = Logger.getLogger(TransportSelection.class.getName());

    /** The transports; the name is the config value. */
    public enum Transport { JAKARTA, SERVLET }

    /** The transport when {@code WS_TRANSPORT} is not set. */
    public static final String DEFAULT = "servlet";

    /** {@code WS_TRANSPORT}; an unknown value fails the deployment with its name. */
    public static Transport configured() {
        String value = ConfigProvider.getConfig().getOptionalValue("ws.transport", String.class).orElse(DEFAULT);
        try {
            return Transport.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("WS_TRANSPORT must be 'jakarta' or 'servlet', not '" + value + "'", e);
        }
    }

    @Override
    public Set<ServerEndpointConfig> getEndpointConfigs(Set<Class<? extends Endpoint>> endpointClasses) {
        return Set.of();
    }

    @Override
    public Set<Class<?>> getAnnotatedEndpointClasses(Set<Class<?>> scanned) {
        return configured() == Transport.JAKARTA ? scanned : Set.of();
    }

    @Override
    public void contextInitialized(ServletContextEvent event) {
        Transport transport = configured();
        if (transport == Transport.SERVLET) {
            ServletContext context = event.getServletContext();
            ServletRegistration.Dynamic reg = context.addServlet("chat-websocket", WebSocketServlet.class);
            reg.addMapping("/ws/chat");
            reg.setAsyncSupported(true);
            reg.setLoadOnStartup(1);
        }
        LOG.log(Level.INFO, "ws_transport={0}: /ws/chat is carried by {1}", new Object[] {transport.name().toLowerCase(Locale.ROOT),
                transport == Transport.SERVLET ? "the application's own framing on a Servlet upgrade" : "Liberty's Jakarta WebSocket"});
    }
}
