package dev.goingaway.chat;

import java.util.regex.Pattern;

/** The shapes of room names and session ids that the service accepts from clients. */
final class Names {

    /** DESIGN.md: 1–64 characters of {@code [A-Za-z0-9_-]}. */
    private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /** Session ids this service issues are UUIDs; any 8–64 of the same characters are accepted back. */
    private static final Pattern SESSION = Pattern.compile("[A-Za-z0-9_-]{8,64}");

    static final String DEFAULT_ROOM = "lobby";

    private Names() {
    }

    static boolean validRoom(String room) {
        return room != null && ROOM.matcher(room).matches();
    }

    static boolean validSession(String id) {
        return id != null && SESSION.matcher(id).matches();
    }
}
