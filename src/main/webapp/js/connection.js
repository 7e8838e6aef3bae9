/**
 * The chat client for the browser: carries out what {@link ChatSession} decides, with a real
 * WebSocket and real timers, and reports every event to one listener.
 *
 *   const chat = new ChatConnection({onEvent: (e) => console.log(e)});
 *   chat.join('lobby');
 *   chat.send('hello');          // returns the entry, whose id the acks refer to
 *
 * The session id is kept in sessionStorage: a reload of the tab resumes the same session
 * (and its total), while a second tab is a second session.
 */

import { Backoff } from './backoff.js';
import { Outbox } from './outbox.js';
import { ChatSession } from './session.js';

const STORAGE_KEY = 'goingaway.session';

export class ChatConnection {
  #session;
  #endpoint;
  #WebSocket;
  #storage;
  #onEvent;
  #now;
  /** @type {Map<number, WebSocket>} */
  #sockets = new Map();
  #timers = new Map();
  #remembered;

  /**
   * @param {object} [options]
   * @param {string} [options.endpoint] ws(s) URL of /ws/chat; default: same origin as the page
   * @param {(event: object) => void} [options.onEvent]
   * @param {Storage|null} [options.storage] where the session id is kept
   * @param {typeof WebSocket} [options.WebSocketImpl]
   */
  constructor({
    endpoint = sameOriginEndpoint(),
    onEvent = () => {},
    storage = sessionStorageOrNull(),
    WebSocketImpl = globalThis.WebSocket,
    now = () => Date.now(),
  } = {}) {
    this.#endpoint = endpoint;
    this.#onEvent = onEvent;
    this.#storage = storage;
    this.#WebSocket = WebSocketImpl;
    this.#now = now;
    this.#remembered = readRemembered(storage);
    this.#session = new ChatSession({
      sessionId: this.#remembered.session,
      backoff: new Backoff({ baseMs: 500, capMs: 30_000 }),
      outbox: new Outbox({ idPrefix: randomId() }),
    });
  }

  /** The room this tab was in before a reload, if any. */
  get rememberedRoom() {
    return this.#remembered.room;
  }

  snapshot() {
    return this.#session.snapshot();
  }

  join(room) {
    this.#run(this.#session.join(room));
  }

  leave() {
    this.#run(this.#session.leave());
  }

  /** Sends (or queues) a message; returns its entry ({id, text, state}). */
  send(text) {
    const { entry, effects } = this.#session.send(text);
    this.#run(effects);
    return entry;
  }

  #run(effects) {
    for (const fx of effects) {
      switch (fx.do) {
        case 'connect':
          this.#open(fx.gen, fx.query);
          break;
        case 'send':
          this.#sockets.get(fx.gen)?.send(fx.data);
          break;
        case 'close':
          this.#close(fx.gen, fx.code, fx.reason);
          break;
        case 'timer':
          this.#cancel(fx.name);
          this.#timers.set(fx.name, setTimeout(() => {
            this.#timers.delete(fx.name);
            this.#run(this.#session.fired(fx.name));
          }, fx.ms));
          break;
        case 'cancel':
          this.#cancel(fx.name);
          break;
        case 'emit':
          this.#emit(fx.event);
          break;
        default:
          throw new Error(`unknown effect ${fx.do}`);
      }
    }
    this.#emit({ type: 'state', ...this.#session.snapshot() });
  }

  #open(gen, query) {
    const url = `${this.#endpoint}?${new URLSearchParams(query)}`;
    let ws;
    try {
      ws = new this.#WebSocket(url);
    } catch (e) {
      // A malformed URL or a blocked scheme: report it as a failed connection.
      queueMicrotask(() => this.#run(this.#session.closed(gen, 1006, String(e))));
      return;
    }
    this.#sockets.set(gen, ws);
    ws.onopen = () => this.#run(this.#session.opened(gen));
    ws.onmessage = (e) => this.#run(this.#session.received(gen, e.data));
    ws.onclose = (e) => {
      this.#sockets.delete(gen);
      this.#run(this.#session.closed(gen, e.code, e.reason));
    };
    // An error is always followed by close, which is where it is handled.
    ws.onerror = () => {};
  }

  #close(gen, code, reason) {
    const ws = this.#sockets.get(gen);
    this.#sockets.delete(gen);
    if (ws && ws.readyState < 2) {
      ws.close(code, reason);
    }
  }

  #cancel(name) {
    const t = this.#timers.get(name);
    if (t !== undefined) {
      clearTimeout(t);
      this.#timers.delete(name);
    }
  }

  #emit(event) {
    if (event.type === 'welcome') {
      this.#remember({ session: event.session, room: event.room });
    }
    if (typeof event.reconnectAfterMs === 'number') {
      event.reconnectAt = this.#now() + event.reconnectAfterMs;
    }
    try {
      this.#onEvent(event);
    } catch (e) {
      // A broken listener must not break the connection's bookkeeping.
      console.error('chat listener failed', e);
    }
  }

  #remember(value) {
    this.#remembered = value;
    try {
      this.#storage?.setItem(STORAGE_KEY, JSON.stringify(value));
    } catch {
      // Storage full or disabled: the session simply is not resumed after a reload.
    }
  }
}

/** ws://host/ws/chat for a page served over http, wss:// for https. */
export function sameOriginEndpoint(loc = globalThis.location) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/ws/chat`;
}

function sessionStorageOrNull() {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

function readRemembered(storage) {
  try {
    const v = JSON.parse(storage?.getItem(STORAGE_KEY) ?? 'null');
    return {
      session: typeof v?.session === 'string' ? v.session : null,
      room: typeof v?.room === 'string' ? v.room : null,
    };
  } catch {
    return { session: null, room: null };
  }
}

/** 8 random hex digits: distinguishes this page load's message ids from an earlier load's. */
function randomId() {
  const bytes = new Uint8Array(4);
  globalThis.crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}
