package dev.goingaway.chat;

import java.util.ArrayList;
import java.util.List;

import dev.goingaway.stream.Catchup;
import dev.goingaway.stream.Entry;
import dev.goingaway.stream.Position;

/**
 * One connection's place in one stream (its room's, or the broadcasts'): what it was last sent.
 * It never lets an offset through twice or one lower than the last, and never a jump it does not
 * announce. Until the connection's welcome is sent it is <em>catching up</em>: live messages are
 * kept, in arrival order, to be joined with the history ({@link Catchup}).
 *
 * <p>Callers hold this cursor's lock across a call and the sends it asks for, so that what one
 * connection is sent of one stream leaves in order. {@link StreamDelivery} takes the room's cursor
 * before the broadcast's, and a cursor before its client's lock.
 */
final class Cursor {

    /** What a live message asks to be sent: nothing, the frame, or a reset and then the frame. */
    interface Sends {
        void reset(Position position);

        void frame(String frame);
    }

    private String epoch;
    private long last;
    /** Live messages kept while catching up; null once live. */
    private List<Catchup.Live> buffer = new ArrayList<>();

    /** The live messages kept so far (while catching up). */
    synchronized List<Catchup.Live> buffered() {
        return buffer == null ? List.of() : List.copyOf(buffer);
    }

    /** A message of the stream: kept while catching up; else sent unless seen, after a reset if it jumps. */
    synchronized boolean offer(String messageEpoch, Entry entry, Sends sends) {
        if (buffer != null) {
            buffer.add(new Catchup.Live(messageEpoch, entry));
            return true;
        }
        if (!messageEpoch.equals(epoch) || entry.offset() > last + 1) {
            // A new numbering, or offsets this connection was never given: say so before going on.
            epoch = messageEpoch;
            last = entry.offset() - 1;
            sends.reset(new Position(epoch, last));
        }
        if (entry.offset() <= last) {
            return false;
        }
        last = entry.offset();
        sends.frame(entry.frame());
        return true;
    }

    /** The stream continues after {@code position}; a live connection is told. */
    synchronized void reset(Position position, Sends sends) {
        if (buffer != null) {
            return; // the catch-up sees the break in what it kept and reads the history again
        }
        if (position.epoch().equals(epoch) && position.offset() <= last) {
            return; // nothing this connection has not had
        }
        epoch = position.epoch();
        last = position.offset();
        sends.reset(position);
    }

    /** The welcome has gone out: from here on live messages are sent, after {@code position}. */
    synchronized void live(Position position) {
        buffer = null;
        if (position != null) {
            epoch = position.epoch();
            last = position.offset();
        }
    }
}
