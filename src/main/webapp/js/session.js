/**
 * The chat client's decisions, without any I/O: when to connect, what to send, when and how
 * long to wait before reconnecting. Every method takes one event (the page asked for
 * something, a socket opened, a frame arrived, a socket closed, a timer fired) and returns the
 * effects to carry out, as plain objects, in order:
 *
 *   {do: 'connect', gen, query}          open socket number `gen` with these query parameters
 *   {do: 'send', gen, data}              send a text frame on socket `gen`
 *   {do: 'close', gen, code, reason}     close socket `gen`
 *   {do: 'timer', name, ms}              (re)start the one timer called `name`
 *   {do: 'cancel', name}                 stop that timer
 *   {do: 'emit', event}                  tell the page what happened
 *
 * {@link ./connection.js} carries them out with a real WebSocket and real timers; tests feed
 * events and read effects. Events from a socket other than the current one are ignored, so
 * an old connection closing late can never disturb the new one.
 *
 * The rules (DESIGN.md, "WebSocket"):
 * - `bye` is the server's last frame; what it left unanswered was not processed. Reconnect
 *   after its `reconnectAfterMs` (the server spreads its clients over a window), resume with
 *   `?session=ID&room=R`, and re-send everything unanswered.
 * - Any other end of a connection (close 1013 "try again later", 1006, a handshake that never
 *   gets its welcome) means reconnect after a jittered exponential backoff.
 * - Close 1008 before the welcome is a refusal by policy (origin, room): retrying cannot fix
 *   it, so the client stops and says why.
 *
 * Positions (DESIGN.md, "Positions and recovery"): where the server numbers its streams (a
 * `welcome` with `streams`, frames with `offset`), the client keeps the last position it saw in
 * the room's stream and in the broadcast stream, resumes with `since` / `broadcastSince`, never
 * shows an offset twice or one lower than it has shown, and says so when the server answers
 * `recovered:false` (messages may be missing). A server that sends no positions is served as
 * before.
 */

import { Outbox } from './outbox.js';

export const Phase = Object.freeze({
  IDLE: 'idle',
  CONNECTING: 'connecting',
  OPEN: 'open',
  LEAVING: 'leaving',
  WAITING: 'waiting',
  STOPPED: 'stopped',
});

export const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const SESSION_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
const CLOSE_NORMAL = 1000;
const CLOSE_POLICY = 1008;

export class ChatSession {
  #backoff;
  #outbox;
  #handshakeTimeoutMs;
  #maxReconnectAfterMs;

  #phase = Phase.IDLE;
  #gen = 0;
  /** The socket whose events count; 0 when there is none. */
  #live = 0;
  #sessionId = null;
  #room = null;
  #total = null;
  #instance = null;
  /** The instance of the last connection that ended, to show where a resume came from. */
  #previousInstance = null;
  /** The last position seen in each stream, {epoch, offset}; the room's belongs to #room. */
  #positions = { room: null, broadcast: null };

  /**
   * @param {object} options
   * @param {import('./backoff.js').Backoff} options.backoff
   * @param {Outbox} options.outbox
   * @param {string|null} [options.sessionId] a session to resume
   * @param {number} [options.handshakeTimeoutMs] how long a connection may go without its welcome
   * @param {number} [options.maxReconnectAfterMs] upper bound on a server-chosen reconnect delay
   */
  constructor({ backoff, outbox, sessionId = null, handshakeTimeoutMs = 10_000, maxReconnectAfterMs = 60_000 }) {
    this.#backoff = backoff;
    this.#outbox = outbox;
    this.#sessionId = typeof sessionId === 'string' && SESSION_PATTERN.test(sessionId) ? sessionId : null;
    this.#handshakeTimeoutMs = handshakeTimeoutMs;
    this.#maxReconnectAfterMs = maxReconnectAfterMs;
  }

  /** What the page shows. */
  snapshot() {
    return {
      phase: this.#phase,
      sessionId: this.#sessionId,
      room: this.#room,
      total: this.#total,
      instance: this.#instance,
      pending: this.#outbox.size,
      attempts: this.#backoff.attempts,
    };
  }

  // ---- what the page asks for -------------------------------------------------------------

  /** Connects to a room (leaving the current connection, if any). */
  join(room) {
    if (!ROOM_PATTERN.test(room)) {
      throw new RangeError('a room is 1-64 characters of A-Z a-z 0-9 _ -');
    }
    const fx = [];
    this.#abandon(fx, 'joining a room');
    this.#previousInstance = null; // a room of one's choosing is a fresh start, not a reconnect
    if (room !== this.#room) {
      this.#positions.room = null; // another room is another stream
    }
    this.#room = room;
    this.#connect(fx);
    return fx;
  }

  /** Closes the connection and stays closed. */
  leave() {
    const fx = [];
    this.#abandon(fx, 'left');
    this.#phase = Phase.STOPPED;
    return fx;
  }

  /** A message typed on the page: sent now if connected, else when the next welcome comes. */
  send(text) {
    const entry = this.#outbox.add(text);
    const fx = [];
    if (this.#phase === Phase.OPEN) {
      this.#transmit(fx, entry);
    } else {
      fx.push(emit({ type: 'queued', entry }));
    }
    return { entry, effects: fx };
  }

  // ---- what the socket and timers report --------------------------------------------------

  opened(gen) {
    return [];
  }

  received(gen, data) {
    if (gen !== this.#live) {
      return [];
    }
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return [emit({ type: 'protocol', problem: 'frame is not JSON', data: String(data).slice(0, 200) })];
    }
    if (frame === null || typeof frame !== 'object') {
      return [emit({ type: 'protocol', problem: 'frame is not an object', data: String(data).slice(0, 200) })];
    }
    switch (frame.type) {
      case 'welcome':
        return this.#welcome(frame);
      case 'ack':
        return this.#ack(frame);
      case 'error':
        return this.#error(frame);
      case 'bye':
        return this.#bye(frame);
      case 'reset':
        return this.#reset(frame);
      case 'message':
        if (!this.#advance('room', frame.offset)) {
          return [];
        }
        return [emit({
          type: 'message', room: frame.room, from: frame.from, text: frame.text, ts: frame.ts,
          own: frame.from != null && frame.from === this.#sessionId,
        })];
      case 'broadcast':
        if (!this.#advance('broadcast', frame.offset)) {
          return [];
        }
        return [emit({ type: 'broadcast', title: frame.title, message: frame.message, level: frame.level, ts: frame.ts })];
      default:
        return [emit({ type: 'protocol', problem: `unknown frame type ${frame.type}`, data: String(data).slice(0, 200) })];
    }
  }

  closed(gen, code, reason) {
    if (gen !== this.#live) {
      return [];
    }
    this.#live = 0;
    this.#previousInstance = this.#instance ?? this.#previousInstance;
    const fx = [];
    // Without a bye nobody knows whether an unanswered message was processed. Sending it
    // again is safe either way: the server acks a known id without counting it again.
    const unanswered = this.#outbox.requeueUnanswered();
    if (this.#phase === Phase.LEAVING) {
      // Expected after a bye; the reconnect timer is already running.
      fx.push(emit({ type: 'closed', code, reason, expected: true }));
      return fx;
    }
    fx.push({ do: 'cancel', name: 'handshake' });
    if (code === CLOSE_POLICY && this.#phase === Phase.CONNECTING) {
      this.#phase = Phase.STOPPED;
      fx.push(emit({ type: 'refused', code, reason }));
      return fx;
    }
    this.#retryLater(fx, { code, reason, unanswered });
    return fx;
  }

  fired(name) {
    const fx = [];
    if (name === 'reconnect' && (this.#phase === Phase.WAITING || this.#phase === Phase.LEAVING)) {
      if (this.#live) {
        // A server that said bye but has not closed yet: do not wait for it.
        fx.push({ do: 'close', gen: this.#live, code: CLOSE_NORMAL, reason: 'reconnecting' });
        this.#live = 0;
        this.#previousInstance = this.#instance ?? this.#previousInstance;
      }
      this.#connect(fx);
    } else if (name === 'handshake' && this.#phase === Phase.CONNECTING) {
      fx.push({ do: 'close', gen: this.#live, code: CLOSE_NORMAL, reason: 'no welcome' });
      this.#live = 0;
      const unanswered = this.#outbox.requeueUnanswered();
      this.#retryLater(fx, { code: null, reason: `no welcome within ${this.#handshakeTimeoutMs} ms`, unanswered });
    }
    return fx;
  }

  // ---- frames -----------------------------------------------------------------------------

  #welcome(frame) {
    const fx = [{ do: 'cancel', name: 'handshake' }];
    const resumedFrom = this.#previousInstance;
    this.#backoff.reset();
    this.#phase = Phase.OPEN;
    this.#sessionId = typeof frame.session === 'string' ? frame.session : this.#sessionId;
    this.#room = typeof frame.room === 'string' ? frame.room : this.#room;
    this.#total = Number.isFinite(frame.total) ? frame.total : this.#total;
    this.#instance = typeof frame.instance === 'string' ? frame.instance : null;
    const gaps = this.#takePositions(frame);
    const resend = this.#outbox.pending();
    fx.push(emit({
      type: 'welcome', session: this.#sessionId, room: this.#room, total: this.#total,
      instance: this.#instance, previousInstance: resumedFrom, resending: resend.length,
      ...(typeof frame.recovered === 'boolean' ? { recovered: frame.recovered } : {}),
    }));
    if (gaps.length > 0) {
      fx.push(emit({ type: 'gap', streams: gaps }));
    }
    for (const entry of resend) {
      this.#transmit(fx, entry);
    }
    return fx;
  }

  #ack(frame) {
    if (Number.isFinite(frame.total)) {
      this.#total = frame.total;
    }
    const entry = frame.id == null ? null : this.#outbox.acked(String(frame.id), frame.total);
    return [emit({ type: 'ack', id: frame.id ?? null, entry, total: this.#total })];
  }

  #error(frame) {
    const { entry, retry } = this.#outbox.failed(frame.id, frame.code, frame.message);
    return [emit({ type: 'error', id: frame.id ?? null, code: frame.code, message: frame.message, entry, retry })];
  }

  #bye(frame) {
    const fx = [];
    if (Number.isFinite(frame.total)) {
      this.#total = frame.total;
    }
    this.#phase = Phase.LEAVING;
    // The bye is the last frame: whatever it left unanswered was not processed.
    const unanswered = this.#outbox.requeueUnanswered();
    const asked = frame.reconnectAfterMs;
    const ms = Number.isFinite(asked) && asked >= 0
      ? Math.min(Math.round(asked), this.#maxReconnectAfterMs)
      : this.#backoff.next();
    fx.push({ do: 'timer', name: 'reconnect', ms });
    fx.push(emit({
      type: 'bye', instance: this.#instance, total: this.#total, message: frame.message,
      reconnectAfterMs: ms, unanswered,
    }));
    return fx;
  }

  // ---- positions --------------------------------------------------------------------------

  /**
   * The welcome's stream tops. With `recovered:true` the missed frames follow and move our
   * positions on; otherwise (`false`, absent, or a stream we had no position in) the top is the
   * new start. Returns the streams for which the server could not show that nothing was missed.
   */
  #takePositions(frame) {
    const gaps = [];
    const streams = frame.streams && typeof frame.streams === 'object' ? frame.streams : null;
    if (!streams) {
      return gaps;
    }
    for (const name of ['room', 'broadcast']) {
      const top = streams[name];
      if (!top || typeof top.epoch !== 'string' || !Number.isInteger(top.offset)) {
        continue;
      }
      const mine = this.#positions[name];
      // Each stream answers for itself; a server that gives only the overall answer is read by it.
      const recovered = typeof top.recovered === 'boolean' ? top.recovered : frame.recovered;
      if (mine && recovered === true && mine.epoch === top.epoch) {
        continue; // the replay follows
      }
      if (mine && recovered === false) {
        gaps.push(name);
      }
      this.#positions[name] = { epoch: top.epoch, offset: top.offset };
    }
    return gaps;
  }

  /**
   * The server cannot give what came before `epoch:offset` in a stream (its history no longer has
   * it, or the numbering restarted): that is our position now, and messages may be missing.
   */
  #reset(frame) {
    const name = frame.stream === 'room' || frame.stream === 'broadcast' ? frame.stream : null;
    if (!name || typeof frame.epoch !== 'string' || !Number.isInteger(frame.offset)) {
      return [emit({ type: 'protocol', problem: 'reset without a stream position', data: JSON.stringify(frame).slice(0, 200) })];
    }
    const mine = this.#positions[name];
    if (mine && mine.epoch === frame.epoch && frame.offset <= mine.offset) {
      return []; // nothing we have not seen
    }
    this.#positions[name] = { epoch: frame.epoch, offset: frame.offset };
    return [emit({ type: 'gap', streams: [name] })];
  }

  /** Whether a frame with this offset is new here (and then it is the stream's position). */
  #advance(name, offset) {
    const mine = this.#positions[name];
    if (!Number.isInteger(offset) || !mine) {
      return true; // a server without positions
    }
    if (offset <= mine.offset) {
      return false; // shown already: never twice, never back
    }
    mine.offset = offset;
    return true;
  }

  // ---- helpers ----------------------------------------------------------------------------

  #connect(fx) {
    this.#gen++;
    this.#live = this.#gen;
    this.#phase = Phase.CONNECTING;
    const query = { room: this.#room };
    if (this.#sessionId) {
      query.session = this.#sessionId;
    }
    const { room, broadcast } = this.#positions;
    if (room) {
      query.since = `${room.epoch}:${room.offset}`;
    }
    if (broadcast) {
      query.broadcastSince = `${broadcast.epoch}:${broadcast.offset}`;
    }
    fx.push({ do: 'connect', gen: this.#gen, query });
    fx.push({ do: 'timer', name: 'handshake', ms: this.#handshakeTimeoutMs });
  }

  #transmit(fx, entry) {
    const resend = entry.sends > 0;
    fx.push({ do: 'send', gen: this.#live, data: Outbox.frame(entry) });
    this.#outbox.sent(entry.id);
    fx.push(emit({ type: 'sent', entry, resend }));
  }

  #retryLater(fx, { code, reason, unanswered }) {
    const ms = this.#backoff.next();
    this.#phase = Phase.WAITING;
    fx.push({ do: 'timer', name: 'reconnect', ms });
    fx.push(emit({
      type: 'lost', code, reason, reconnectAfterMs: ms, attempt: this.#backoff.attempts, unanswered,
    }));
  }

  /** Drops the current socket and timers, e.g. to join another room or to leave. */
  #abandon(fx, reason) {
    fx.push({ do: 'cancel', name: 'reconnect' }, { do: 'cancel', name: 'handshake' });
    if (this.#live) {
      fx.push({ do: 'close', gen: this.#live, code: CLOSE_NORMAL, reason });
      this.#live = 0;
      this.#previousInstance = this.#instance ?? this.#previousInstance;
      this.#outbox.requeueUnanswered();
    }
  }
}

function emit(event) {
  return { do: 'emit', event };
}
