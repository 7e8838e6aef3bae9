package dev.goingaway.broadcast;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The REST root: {@code /chat/api}. */
@ApplicationPath("/chat/api")
public class BroadcastApi extends Application {
}
