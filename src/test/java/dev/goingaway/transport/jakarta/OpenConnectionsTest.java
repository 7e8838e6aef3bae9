package dev.goingaway.transport.jakarta;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import org.junit.jupiter.api.Test;

class OpenConnectionsTest {

    // Rows in the kernel's own format (port 9080 = 0x2378): a listener, two open connections
    // (one ESTABLISHED, one CLOSE_WAIT), one closing (FIN_WAIT2), one TIME_WAIT, and an outgoing
    // connection *to* 9080 whose local port is ephemeral.
    private static final String TCP = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000:2378 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1680 1 0000000000000000 100 0 0 10 0
               1: 0100007F:2378 0100007F:D2A4 01 00000000:00000000 00:00000000 00000000     0        0 1681 1 0000000000000000 20 4 30 10 -1
               2: 0100007F:2378 0100007F:D2A6 08 00000000:00000000 00:00000000 00000000     0        0 1682 1 0000000000000000 20 4 30 10 -1
               3: 0100007F:2378 0100007F:D2A8 05 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 20 4 30 10 -1
              10: 0100007F:2378 0100007F:D2AA 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
             100: 0100007F:D2A4 0100007F:2378 01 00000000:00000000 00:00000000 00000000     0        0 1683 1 0000000000000000 20 4 30 10 -1
            """;

    private static final String TCP6 = """
              sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000000000000000000000000000:2378 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1700 1 0000000000000000 100 0 0 10 0
               1: 0000000000000000FFFF00000100007F:2378 0000000000000000FFFF00000100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 1701 1 0000000000000000 20 4 30 10 -1
               2: 0000000000000000FFFF00000100007F:24DC 0000000000000000FFFF00000100007F:C352 01 00000000:00000000 00:00000000 00000000     0        0 1702 1 0000000000000000 20 4 30 10 -1
            """;

    @Test
    void countsEstablishedAndCloseWaitRowsOnTheGivenPortsOnly() {
        assertEquals(2, OpenConnections.count(TCP, Set.of(9080)));
        assertEquals(1, OpenConnections.count(TCP6, Set.of(9080)));
        assertEquals(2, OpenConnections.count(TCP6, Set.of(9080, 9436)));
        assertEquals(0, OpenConnections.count(TCP, Set.of(9443)));
    }

    @Test
    void toleratesAnEmptyOrTruncatedTable() {
        assertEquals(0, OpenConnections.count("", Set.of(9080)));
        assertEquals(0, OpenConnections.count("  sl  local_address rem_address   st\n", Set.of(9080)));
        assertEquals(0, OpenConnections.count("  sl  local_address rem_address   st\n   0: 0100007F:2378", Set.of(9080)));
    }

    /** The real kernel tables on this machine: a connection to a local listener shows up, then goes. */
    @Test
    void seesARealConnectionOpenAndClose() throws IOException {
        if (!Files.isReadable(Path.of("/proc/self/net/tcp"))) {
            return; // not Linux: the drain does not wait there either
        }
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            OpenConnections sockets = OpenConnections.onPorts(Set.of(listener.getLocalPort()));
            assertEquals(0, sockets.count());
            try (Socket client = new Socket("127.0.0.1", listener.getLocalPort());
                 Socket accepted = listener.accept()) {
                assertEquals(1, sockets.count(), "the accepted side is open");
                client.close(); // the peer goes first: the server side is in CLOSE_WAIT until it closes too
                InputStream in = accepted.getInputStream();
                assertEquals(-1, in.read());
                assertEquals(1, sockets.count(), "CLOSE_WAIT still counts");
            }
            assertEquals(0, sockets.count(), "closed on both sides");
            assertEquals(0, sockets.awaitAtMost(0, System.nanoTime()), "nothing to wait for");
        }
    }

    @Test
    void cannotCountWithoutPorts() {
        assertEquals(-1, OpenConnections.onPorts(Set.of()).count());
        assertEquals(-1, OpenConnections.onPorts(Set.of()).awaitAtMost(0, System.nanoTime() + 1_000_000_000L),
                "and does not wait");
    }
}
