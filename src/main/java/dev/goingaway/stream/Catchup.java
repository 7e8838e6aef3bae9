package dev.goingaway.stream;

import java.util.ArrayList;
import java.util.List;

/**
 * What a resuming connection is sent for one stream: the history after its position, joined with
 * the live messages buffered while the history was read, without a duplicate, a gap or a step
 * back. The caller starts buffering the stream's live messages first, then reads the history,
 * then calls {@link #of}; if the buffered messages do not continue the history (one was missed
 * between the two, or the stream began a new epoch meanwhile) the result is not
 * {@link Result#consistent() consistent} and the caller reads the history again.
 */
public final class Catchup {

    private Catchup() {
    }

    /** A live message as it arrived: its stream's epoch and the entry. */
    public record Live(String epoch, Entry entry) {
    }

    /**
     * The outcome for one stream.
     *
     * @param recovered  null without a position to resume from; true when every message after it
     *                   is in {@code frames}; false when that cannot be shown (another epoch, older
     *                   than the window, no such stream), and then nothing is replayed
     * @param frames     what to send, in offset order: the missed messages, then the buffered live
     *                   ones that follow them
     * @param position   the position after {@code frames} (the stream's top when nothing is sent);
     *                   its epoch is null for a stream that does not exist yet
     * @param consistent false if the buffered live messages leave a gap after the history, or
     *                   belong to another epoch: read the history again
     */
    public record Result(Boolean recovered, List<Entry> frames, Position position, boolean consistent) {
        public Result {
            frames = List.copyOf(frames);
        }
    }

    /**
     * @param since    the client's last position in this stream, or null
     * @param history  the stream read after buffering began ({@link StreamStore#after} from
     *                 {@code since}'s offset, or from the top)
     * @param buffered the live messages buffered since before the read, in arrival order
     */
    public static Result of(Position since, Range history, List<Live> buffered) {
        Boolean recovered = since == null ? null : history.epoch() != null && history.completeAfter(since);
        List<Entry> frames = new ArrayList<>();
        if (Boolean.TRUE.equals(recovered)) {
            frames.addAll(history.entries());
        }
        String epoch = history.epoch();
        long last = history.topOffset();
        for (Live live : buffered) {
            if (epoch == null && last == 0) {
                epoch = live.epoch(); // the stream's first message arrived while it was read
            }
            if (!live.epoch().equals(epoch)) {
                return new Result(recovered, frames, new Position(epoch == null ? live.epoch() : epoch, last), false);
            }
            long offset = live.entry().offset();
            if (offset <= last) {
                continue; // already in the history (or sent): never twice, never back
            }
            if (offset != last + 1) {
                return new Result(recovered, frames, new Position(epoch, last), false);
            }
            frames.add(live.entry());
            last = offset;
        }
        return new Result(recovered, frames, epoch == null ? null : new Position(epoch, last), true);
    }
}
