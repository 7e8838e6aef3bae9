package dev.goingaway.stream;

import java.util.Collections;
import java.util.List;

/**
 * A batch that was appended in part: on a Redis Cluster a batch goes to every node that owns one
 * of its streams, and a node that is gone (a failover under way) fails only its own. The
 * appends that were made are kept ({@link #done()}, null where one failed), so none is made a
 * second time elsewhere.
 */
public final class PartialAppend extends StreamException {

    private static final long serialVersionUID = 1L;

    private final transient List<StreamStore.Appended> done;

    public PartialAppend(String message, List<StreamStore.Appended> done, Throwable cause) {
        super(message, cause);
        this.done = Collections.unmodifiableList(done);
    }

    /** One entry per append of the batch, in order: what it became, or null if it failed. */
    public List<StreamStore.Appended> done() {
        return done;
    }
}
