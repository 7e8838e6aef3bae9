package dev.goingaway.websocket;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.Socket;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.servlet.http.WebConnection;

/**
 * Ends the TCP connection under an upgraded request. Liberty's {@link WebConnection#close()}
 * does not: its HTTP channel closes the socket of an upgraded connection only when the close
 * carries an error ({@code HttpInboundLink.close}: "Connection Not closed because Servlet
 * Upgrade detected"), so after a clean close the socket stays open until the client hangs up
 * or, for a client that never does, until the channel's idle timeout (30 s measured here; see
 * docs/LIBERTY-FACTS.md). RFC 6455 wants the server to close the TCP connection first.
 *
 * <p>The only place the application reaches below the Servlet API: the public
 * {@code getDeviceConnLink()} and {@code getVirtualConnection()} of Liberty's
 * {@code UpgradedWebConnectionImpl}, then the channel link's {@code close(vc, error)}, found by
 * reflection. If any of that is missing (another Liberty), it logs once and does nothing: the
 * connection then ends the Servlet way.
 */
final class TcpClose {

    private static final Logger LOG = Logger.getLogger(TcpClose.class.getName());
    private static volatile boolean unavailable;
    /** Looked up once: every connection of a Liberty is of the same classes. */
    private static volatile Methods methods;

    private record Methods(Class<?> connectionType, Method deviceLink, Method virtualConnection,
                           Class<?> linkType, Method close) {
    }

    private TcpClose() {
    }

    /** Closes the socket under {@code connection}, after {@link WebConnection#close()}. */
    static void close(WebConnection connection, String why) {
        if (unavailable) {
            return;
        }
        try {
            Methods m = methods;
            Class<?> type = connection.getClass();
            if (m == null || m.connectionType() != type) {
                m = new Methods(type, type.getMethod("getDeviceConnLink"), type.getMethod("getVirtualConnection"), null, null);
            }
            Object link = m.deviceLink().invoke(connection);
            Object vc = m.virtualConnection().invoke(connection);
            if (link == null || vc == null) {
                return;
            }
            if (m.linkType() != link.getClass()) {
                m = new Methods(type, m.deviceLink(), m.virtualConnection(), link.getClass(), closeMethod(link.getClass(), vc));
            }
            methods = m;
            m.close().invoke(link, vc, new IOException(why));
        } catch (ReflectiveOperationException | RuntimeException e) {
            unavailable = true;
            LOG.log(Level.WARNING, "cannot close upgraded TCP connections directly on this Liberty ({0}); "
                    + "they close when the client hangs up or the channel times them out", e.toString());
        }
    }

    /**
     * Shuts the socket's sending side under a write that is blocked on a client that does not
     * read. The kernel then reports the socket writable, Liberty's pending write fails at once
     * (EPIPE) and the thread blocked in {@code flush()} gets its IOException; closing the link
     * instead leaves that thread parked for good (measured). Returns false if it could not.
     */
    static boolean shutdownOutput(WebConnection connection) {
        if (unavailable) {
            return false;
        }
        try {
            Object tcp = connection.getClass().getMethod("getTCPConnectionContext").invoke(connection);
            Object io = tcp == null ? null : tcp.getClass().getMethod("getSocketIOChannel").invoke(tcp);
            Object socket = io == null ? null : io.getClass().getMethod("getSocket").invoke(io);
            if (socket instanceof Socket s) {
                s.shutdownOutput();
                return true;
            }
            return false;
        } catch (IOException e) {
            return false; // already closed
        } catch (ReflectiveOperationException | RuntimeException e) {
            unavailable = true;
            LOG.log(Level.WARNING, "cannot reach the socket of upgraded connections on this Liberty ({0}); "
                    + "a write blocked on a client that stopped reading ends at the upgrade write timeout", e.toString());
            return false;
        }
    }

    private static Method closeMethod(Class<?> type, Object vc) throws NoSuchMethodException {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                for (Method m : i.getMethods()) {
                    if (m.getName().equals("close") && m.getParameterCount() == 2
                            && m.getParameterTypes()[0].isInstance(vc)
                            && m.getParameterTypes()[1] == Exception.class) {
                        return m;
                    }
                }
            }
        }
        throw new NoSuchMethodException(type.getName() + ".close(VirtualConnection, Exception)");
    }
}
