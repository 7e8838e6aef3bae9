package dev.goingaway.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A port nothing listens on right now, for a server a test starts. It is chosen below the
 * kernel's ephemeral range ({@code /proc/sys/net/ipv4/ip_local_port_range}, 32768-60999 here):
 * a port the kernel hands out itself ({@code new ServerSocket(0)}) is one it also gives to the
 * tests' own outgoing connections, and once one of those took the port between the pick and the
 * server's bind (Liberty: CWWKO0221E "Address already in use", the server never ready). Below
 * the range only an explicit bind can take it, and the pick is random, so two tests rarely try
 * the same one; each candidate is checked by binding it on every interface, as Liberty does.
 */
public final class FreePort {

    private static final Path EPHEMERAL = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    private static final int LOWEST = 10_000;

    private FreePort() {
    }

    public static int pick() {
        int below = ephemeralLow();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, below);
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(new InetSocketAddress(port), 1);
                return port;
            } catch (IOException taken) {
                // in use: try another
            }
        }
        try (ServerSocket s = new ServerSocket(0)) { // the kernel's choice, as a last resort
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lowest port of the ephemeral range (32768 where it cannot be read). */
    static int ephemeralLow() {
        try {
            String[] range = Files.readString(EPHEMERAL).trim().split("\\s+");
            int low = Integer.parseInt(range[0]);
            return low > LOWEST + 1_000 ? low : 32_768;
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
