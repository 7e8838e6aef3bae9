/**
 * The messages this client has typed and the server has not yet answered.
 *
 * Every message gets a client id when it is typed and keeps it for good: the server
 * remembers the ids it has counted for a session, so sending the same id again after a
 * reconnect is answered with an ack and never counted twice. That makes re-sending safe, and
 * re-sending is how nothing is lost:
 *
 * - a message answered with `ack` is done;
 * - a message answered with an `error` whose code means "not processed, try after
 *   reconnecting" (`draining`) goes back to the queue;
 * - a message answered with any other `error` is done, as failed (it would fail again);
 * - a message with no answer yet when the connection ends (with or without a `bye`) stays
 *   pending, and everything pending is sent again, in typing order, on the next connection.
 *
 * Pure bookkeeping; the caller does the sending.
 */

/** Error codes after which a message was not processed and must be sent again after reconnecting. */
export const RETRY_AFTER_RECONNECT = Object.freeze(new Set(['draining']));

/** @typedef {{id: string, text: string, state: 'queued'|'sent'|'acked'|'failed', sends: number, total?: number, code?: string, reason?: string}} Entry */

export class Outbox {
  #idPrefix;
  #seq = 0;
  /** @type {Map<string, Entry>} insertion order is typing order */
  #pending = new Map();

  /**
   * @param {{idPrefix: string}} options idPrefix must differ between page loads that share a
   *   session (a random string does), so ids never repeat within a session.
   */
  constructor({ idPrefix }) {
    if (typeof idPrefix !== 'string' || idPrefix.length === 0 || idPrefix.length > 100) {
      throw new RangeError('idPrefix must be a non-empty string of at most 100 characters');
    }
    this.#idPrefix = idPrefix;
  }

  /** Records a newly typed message; it is `queued` until {@link sent} says it went out. */
  add(text) {
    const entry = { id: `${this.#idPrefix}-${++this.#seq}`, text, state: 'queued', sends: 0 };
    this.#pending.set(entry.id, entry);
    return entry;
  }

  /** The frame that carries an entry to the server. */
  static frame(entry) {
    return JSON.stringify({ type: 'message', id: entry.id, text: entry.text });
  }

  /** The entry was written to an open connection. */
  sent(id) {
    const entry = this.#pending.get(id);
    if (entry) {
      entry.state = 'sent';
      entry.sends++;
    }
    return entry ?? null;
  }

  /**
   * The server counted the message. Returns the finished entry, or null for an id that is not
   * pending (the second ack of a message re-sent after its first ack was already seen).
   */
  acked(id, total) {
    const entry = this.#pending.get(id);
    if (!entry) {
      return null;
    }
    this.#pending.delete(id);
    entry.state = 'acked';
    entry.total = total;
    return entry;
  }

  /**
   * The server did not process the message. Returns `{entry, retry}`: with retry true the
   * entry is queued again for the next connection; otherwise it is finished as failed.
   * An id that is not pending gives `{entry: null, retry: false}`.
   */
  failed(id, code, reason) {
    const entry = id == null ? undefined : this.#pending.get(String(id));
    if (!entry) {
      return { entry: null, retry: false };
    }
    entry.code = code;
    entry.reason = reason;
    if (RETRY_AFTER_RECONNECT.has(code)) {
      entry.state = 'queued';
      return { entry, retry: true };
    }
    this.#pending.delete(entry.id);
    entry.state = 'failed';
    return { entry, retry: false };
  }

  /** Entries written to a connection and not answered on it. */
  unanswered() {
    return [...this.#pending.values()].filter((e) => e.state === 'sent');
  }

  /**
   * A connection ended or said goodbye: what it left unanswered goes back to the queue.
   * Returns those entries.
   */
  requeueUnanswered() {
    const left = this.unanswered();
    for (const e of left) {
      e.state = 'queued';
    }
    return left;
  }

  /** Everything that must go out on a fresh connection, in typing order. */
  pending() {
    return [...this.#pending.values()];
  }

  get size() {
    return this.#pending.size;
  }
}
