import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Backoff } from '../../main/webapp/js/backoff.js';
import { Outbox } from '../../main/webapp/js/outbox.js';
import { ChatSession, Phase } from '../../main/webapp/js/session.js';

const SESSION = '0b3f5a9e-1d2c-4e7f-9a8b-1234567890ab';

function newSession({ sessionId = null, random = () => 0.5, handshakeTimeoutMs = 10_000 } = {}) {
  return new ChatSession({
    sessionId,
    handshakeTimeoutMs,
    backoff: new Backoff({ baseMs: 500, capMs: 30_000, random }),
    outbox: new Outbox({ idPrefix: 't' }),
  });
}

const welcome = (over = {}) => JSON.stringify({ type: 'welcome', session: SESSION, room: 'r1', total: 0, instance: 'a', ...over });
const ack = (id, total) => JSON.stringify({ type: 'ack', id, total });
const bye = (total, reconnectAfterMs) => JSON.stringify({
  type: 'bye', bye: true, total, session: SESSION, message: 'Server is shutting down gracefully', reconnectAfterMs,
});

const ofKind = (fx, kind) => fx.filter((f) => f.do === kind);
const events = (fx, type) => ofKind(fx, 'emit').map((f) => f.event).filter((e) => e.type === type);
const sentFrames = (fx) => ofKind(fx, 'send').map((f) => JSON.parse(f.data));
const timer = (fx, name) => ofKind(fx, 'timer').find((f) => f.name === name);

/** Joins room r1 and completes the handshake on socket 1. */
function connected(options) {
  const s = newSession(options);
  s.join('r1');
  s.opened(1);
  s.received(1, welcome());
  return s;
}

test('join opens a socket for the room with a handshake deadline', () => {
  const s = newSession();
  const fx = s.join('r1');
  assert.deepEqual(ofKind(fx, 'connect'), [{ do: 'connect', gen: 1, query: { room: 'r1' } }], 'connect without a session id');
  assert.equal(timer(fx, 'handshake')?.ms, 10_000, 'a welcome is awaited for a bounded time');
  assert.equal(s.snapshot().phase, Phase.CONNECTING, 'phase');
});

test('a session id kept from before (a reload) is resumed on the first connect', () => {
  const fx = newSession({ sessionId: SESSION }).join('r1');
  assert.deepEqual(ofKind(fx, 'connect')[0].query, { room: 'r1', session: SESSION }, 'resume query');
  const bad = newSession({ sessionId: 'x y' }).join('r1');
  assert.deepEqual(ofKind(bad, 'connect')[0].query, { room: 'r1' }, 'a malformed stored id is not sent');
});

test('an invalid room is refused before anything is sent', () => {
  assert.throws(() => newSession().join('no spaces'), RangeError, 'room pattern');
  assert.throws(() => newSession().join('x'.repeat(65)), RangeError, 'room length');
});

test('welcome opens the session and reports instance, room and total', () => {
  const s = newSession();
  s.join('r1');
  const fx = s.received(1, welcome({ total: 4 }));
  assert.deepEqual(ofKind(fx, 'cancel'), [{ do: 'cancel', name: 'handshake' }], 'handshake deadline cancelled');
  const [w] = events(fx, 'welcome');
  assert.equal(w.instance, 'a', 'instance');
  assert.equal(w.total, 4, 'total from welcome');
  assert.equal(w.previousInstance, null, 'a first connection has no previous instance');
  assert.deepEqual(s.snapshot(), {
    phase: Phase.OPEN, sessionId: SESSION, room: 'r1', total: 4, instance: 'a', pending: 0, attempts: 0,
  }, 'snapshot');
});

test('messages typed before the welcome wait and go out, in order, when it comes', () => {
  const s = newSession();
  s.join('r1');
  const q = s.send('early 1');
  assert.deepEqual(ofKind(q.effects, 'send'), [], 'nothing sent before the welcome');
  assert.equal(events(q.effects, 'queued').length, 1, 'reported as queued');
  s.send('early 2');
  const fx = s.received(1, welcome());
  assert.deepEqual(sentFrames(fx).map((f) => f.text), ['early 1', 'early 2'], 'sent on welcome in typing order');
  assert.ok(ofKind(fx, 'send').every((f) => f.gen === 1), 'on the current socket');
});

test('a message sent while connected carries its client id; the ack finishes it and sets the total', () => {
  const s = connected();
  const { entry, effects } = s.send('hello');
  assert.deepEqual(sentFrames(effects), [{ type: 'message', id: entry.id, text: 'hello' }], 'frame');
  const fx = s.received(1, ack(entry.id, 1));
  const [a] = events(fx, 'ack');
  assert.equal(a.entry.id, entry.id, 'ack matched to the entry');
  assert.equal(s.snapshot().total, 1, 'total from the ack');
  assert.equal(s.snapshot().pending, 0, 'nothing pending');
});

test('bye: unanswered messages are re-sent with the same ids after reconnectAfterMs, on the new instance', () => {
  const s = connected();
  const m1 = s.send('one').entry;
  const m2 = s.send('two').entry;
  const m3 = s.send('three').entry;
  s.received(1, ack(m1.id, 1));

  const fx = s.received(1, bye(1, 2345));
  assert.equal(s.snapshot().phase, Phase.LEAVING, 'leaving after bye');
  assert.deepEqual(timer(fx, 'reconnect'), { do: 'timer', name: 'reconnect', ms: 2345 }, 'server-chosen delay, not backoff');
  const [b] = events(fx, 'bye');
  assert.deepEqual(b.unanswered.map((e) => e.id), [m2.id, m3.id], 'the bye left two messages unanswered');
  assert.equal(b.total, 1, 'total from the bye');

  const closeFx = s.closed(1, 1001, 'server going away');
  assert.equal(timer(closeFx, 'reconnect'), undefined, 'close 1001 after bye does not start a backoff');
  assert.equal(s.snapshot().attempts, 0, 'no backoff attempt counted');

  const re = s.fired('reconnect');
  assert.deepEqual(ofKind(re, 'connect'), [{ do: 'connect', gen: 2, query: { room: 'r1', session: SESSION } }],
    'resume with ?session=ID&room=R on a new socket');
  const w = s.received(2, welcome({ total: 1, instance: 'b' }));
  assert.deepEqual(sentFrames(w).map((f) => f.id), [m2.id, m3.id], 're-sent in order with their original ids');
  assert.ok(ofKind(w, 'send').every((f) => f.gen === 2), 're-sent on the new socket');
  assert.equal(events(w, 'welcome')[0].previousInstance, 'a', 'the page can say where the session came from');
  assert.ok(events(w, 'sent').every((e) => e.resend), 'reported as re-sends');
  s.received(2, ack(m2.id, 2));
  s.received(2, ack(m3.id, 3));
  assert.equal(s.snapshot().total, 3, 'total continued on the new instance');
  assert.equal(s.snapshot().pending, 0, 'everything answered');
});

test('messages typed after the bye wait for the new connection', () => {
  const s = connected();
  s.received(1, bye(0, 1000));
  const { effects } = s.send('during the goodbye');
  assert.deepEqual(ofKind(effects, 'send'), [], 'not written to the departing server');
  s.closed(1, 1001, '');
  s.fired('reconnect');
  const w = s.received(2, welcome({ instance: 'b' }));
  assert.deepEqual(sentFrames(w).map((f) => f.text), ['during the goodbye'], 'sent after the welcome');
});

test('a server that says bye but does not close is left when the reconnect timer fires', () => {
  const s = connected();
  s.received(1, bye(0, 500));
  const fx = s.fired('reconnect');
  assert.deepEqual(ofKind(fx, 'close'), [{ do: 'close', gen: 1, code: 1000, reason: 'reconnecting' }], 'old socket closed');
  assert.equal(ofKind(fx, 'connect')[0].gen, 2, 'new socket opened');
  assert.deepEqual(s.closed(1, 1001, ''), [], 'the old socket closing late changes nothing');
  assert.deepEqual(s.received(1, ack('t-1', 9)), [], 'nor does a late frame from it');
  assert.equal(s.snapshot().phase, Phase.CONNECTING, 'still connecting on socket 2');
  assert.equal(events(s.received(2, welcome({ instance: 'b' })), 'welcome')[0].previousInstance, 'a',
    'the page still says where the session came from, though the old socket had not closed yet');
});

test('an error with code draining means not processed: re-sent after reconnecting, not on the draining connection', () => {
  const s = connected();
  const m = s.send('x').entry;
  const fx = s.received(1, JSON.stringify({ type: 'error', id: m.id, code: 'draining', message: 'shutting down' }));
  const [e] = events(fx, 'error');
  assert.equal(e.retry, true, 'reported as to be retried');
  assert.deepEqual(ofKind(fx, 'send'), [], 'not re-sent to the draining instance');
  s.received(1, bye(0, 10));
  s.closed(1, 1001, '');
  s.fired('reconnect');
  const w = s.received(2, welcome({ instance: 'b' }));
  assert.deepEqual(sentFrames(w).map((f) => f.id), [m.id], 're-sent after the reconnect with the same id');
});

test('other errors are final and never re-sent', () => {
  const s = connected();
  const m = s.send('x').entry;
  const fx = s.received(1, JSON.stringify({ type: 'error', id: m.id, code: 'bad_text', message: 'text is empty' }));
  assert.equal(events(fx, 'error')[0].retry, false, 'no retry');
  s.closed(1, 1006, '');
  s.fired('reconnect');
  assert.deepEqual(sentFrames(s.received(2, welcome())), [], 'nothing re-sent');
});

test('a dropped connection (1006) reconnects after a jittered backoff that grows, and resets on welcome', () => {
  const s = connected({ random: () => 1 });
  const m = s.send('in flight').entry;
  const fx1 = s.closed(1, 1006, '');
  assert.equal(timer(fx1, 'reconnect').ms, 500, 'first retry after the base delay (highest draw)');
  assert.deepEqual(events(fx1, 'lost')[0].unanswered.map((e) => e.id), [m.id], 'unanswered reported');
  assert.equal(s.snapshot().phase, Phase.WAITING, 'waiting');

  s.fired('reconnect');
  const fx2 = s.closed(2, 1013, 'server is shutting down, reconnect to another instance');
  assert.equal(timer(fx2, 'reconnect').ms, 1000, '1013: try again later, after a longer backoff');
  s.fired('reconnect');
  const fx3 = s.closed(3, 1006, '');
  assert.equal(timer(fx3, 'reconnect').ms, 2000, 'and longer');

  s.fired('reconnect');
  const w = s.received(4, welcome({ total: 1 }));
  assert.deepEqual(sentFrames(w).map((f) => f.id), [m.id], 'the message whose fate is unknown is re-sent with its id');
  assert.equal(s.snapshot().attempts, 0, 'backoff reset by the welcome');
  assert.equal(timer(s.closed(4, 1006, ''), 'reconnect').ms, 500, 'next failure starts from the base again');
});

test('a connection that never gets its welcome is abandoned and retried with backoff', () => {
  const s = newSession({ random: () => 0 });
  s.join('r1');
  s.opened(1);
  const fx = s.fired('handshake');
  assert.deepEqual(ofKind(fx, 'close'), [{ do: 'close', gen: 1, code: 1000, reason: 'no welcome' }], 'closed');
  assert.equal(timer(fx, 'reconnect').ms, 250, 'retry after backoff (lowest draw: half the base, never zero)');
  assert.deepEqual(s.closed(1, 1006, ''), [], 'its late close is ignored');
});

test('close 1008 before the welcome is a refusal by policy: stop instead of retrying', () => {
  const s = newSession();
  s.join('r1');
  const fx = s.closed(1, 1008, 'origin not allowed');
  assert.equal(events(fx, 'refused').length, 1, 'refusal reported');
  assert.equal(timer(fx, 'reconnect'), undefined, 'no retry');
  assert.equal(s.snapshot().phase, Phase.STOPPED, 'stopped');
});

test('close 1008 after the welcome (rate limit) is retried with backoff', () => {
  const s = connected();
  const fx = s.closed(1, 1008, 'rate limit exceeded');
  assert.ok(timer(fx, 'reconnect').ms > 0, 'reconnect after a backoff');
});

test('a bye without a usable reconnectAfterMs falls back to backoff; an absurd one is capped', () => {
  const s = connected({ random: () => 1 });
  assert.equal(timer(s.received(1, bye(0, undefined)), 'reconnect').ms, 500, 'missing: backoff');
  const t = connected();
  assert.equal(timer(t.received(1, bye(0, 9e9)), 'reconnect').ms, 60_000, 'capped at a minute');
});

test('an ack for an id no longer pending (re-send of an already counted message) only updates the total', () => {
  const s = connected();
  const fx = s.received(1, ack('t-999', 12));
  assert.equal(events(fx, 'ack')[0].entry, null, 'no entry');
  assert.equal(s.snapshot().total, 12, 'total updated');
});

test('joining another room closes the current socket and carries the session along', () => {
  const s = connected();
  const fx = s.join('r2');
  assert.deepEqual(ofKind(fx, 'close'), [{ do: 'close', gen: 1, code: 1000, reason: 'joining a room' }], 'old socket closed');
  assert.deepEqual(ofKind(fx, 'connect')[0].query, { room: 'r2', session: SESSION }, 'same session, new room');
  assert.equal(events(s.received(2, welcome({ room: 'r2' })), 'welcome')[0].previousInstance, null,
    'a room switch is announced as a fresh connection, not as a reconnect');
});

test('leave closes and stays closed', () => {
  const s = connected();
  const fx = s.leave();
  assert.equal(ofKind(fx, 'close').length, 1, 'socket closed');
  assert.deepEqual(s.closed(1, 1000, ''), [], 'its close does not trigger a reconnect');
  assert.equal(s.snapshot().phase, Phase.STOPPED, 'stopped');
});

test('frames that are not JSON are reported, not fatal', () => {
  const s = connected();
  assert.equal(events(s.received(1, 'nope'), 'protocol').length, 1, 'reported');
  assert.equal(s.snapshot().phase, Phase.OPEN, 'still open');
});

// ---- many rollovers against a model of the server's counting ---------------------------------

/** Small deterministic PRNG (mulberry32) so a failing seed can be replayed. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The server side of DESIGN.md reduced to what decides loss and doubling: it counts a message
 * id once per session (a known id is acked again, not counted), answers draining while it
 * drains, seals the connection with bye (anything read after it is dropped), and connections
 * can also die without a word, losing frames both ways.
 */
function simulate(seed, messages) {
  const rnd = prng(seed);
  const counted = new Map(); // id -> times counted
  let total = 0;
  const s = newSession({ random: rnd });
  const timers = new Map();
  let conn = null; // {gen, c2s: [], s2c: [], mode: 'open'|'draining'|'sealed'}
  let typed = 0;
  const acked = new Set();
  const failed = [];
  const seen = { byeWithUnanswered: 0, draining: 0, drops: 0, refusals: 0, duplicates: 0, afterBye: 0 };

  const apply = (fx) => {
    for (const f of fx) {
      if (f.do === 'connect') {
        const refuse = rnd() < 0.1;
        conn = { gen: f.gen, c2s: [], s2c: [], mode: refuse ? 'refused' : 'open' };
        if (!refuse) {
          conn.s2c.push(JSON.stringify({ type: 'welcome', session: SESSION, room: 'r1', total, instance: `i${f.gen}` }));
        }
      } else if (f.do === 'send') {
        if (conn && conn.gen === f.gen) {
          conn.c2s.push(JSON.parse(f.data));
        }
      } else if (f.do === 'close') {
        if (conn && conn.gen === f.gen) {
          conn = null;
        }
      } else if (f.do === 'timer') {
        assert.ok(f.ms >= 0, `seed ${seed}: timer ${f.name} ${f.ms} ms`);
        timers.set(f.name, f.ms);
      } else if (f.do === 'cancel') {
        timers.delete(f.name);
      } else if (f.do === 'emit') {
        const e = f.event;
        if (e.type === 'ack' && e.entry) {
          assert.ok(!acked.has(e.entry.id), `seed ${seed}: ${e.entry.id} finished twice`);
          acked.add(e.entry.id);
        } else if (e.type === 'error' && e.entry && !e.retry) {
          failed.push(e);
        } else if (e.type === 'bye' && e.unanswered.length) {
          seen.byeWithUnanswered++;
        } else if (e.type === 'lost') {
          assert.ok(e.reconnectAfterMs >= 250, `seed ${seed}: backoff ${e.reconnectAfterMs} ms is never a tight loop`);
        }
      }
    }
  };

  const serverReads = () => {
    const m = conn.c2s.shift();
    if (conn.mode === 'sealed') {
      seen.afterBye++;
      return; // read after the bye: dropped, not counted
    }
    if (conn.mode === 'draining') {
      seen.draining++;
      conn.s2c.push(JSON.stringify({ type: 'error', id: m.id, code: 'draining', message: 'not counted' }));
      return;
    }
    if (counted.has(m.id)) {
      seen.duplicates++; // a known id: acked again, not counted
    } else {
      counted.set(m.id, 1);
      total++;
    }
    conn.s2c.push(JSON.stringify({ type: 'ack', id: m.id, total }));
  };

  const clientReads = () => {
    const frame = conn.s2c.shift();
    const gen = conn.gen;
    if (frame === 'CLOSE') {
      conn = null;
      apply(s.closed(gen, 1001, 'going away'));
    } else {
      apply(s.received(gen, frame));
    }
  };

  const die = (code) => {
    const gen = conn.gen;
    // The server may have processed some of what was in flight; their answers are lost.
    if (conn.mode === 'open') {
      const k = Math.floor(rnd() * (conn.c2s.length + 1));
      for (let i = 0; i < k; i++) {
        serverReads();
      }
    }
    conn = null;
    apply(s.closed(gen, code, ''));
  };

  let steps = 0;
  const calm = () => typed === messages && s.snapshot().pending === 0;
  while (!calm()) {
    steps++;
    assert.ok(steps < 100_000, `seed ${seed}: did not settle (phase ${s.snapshot().phase}, pending ${s.snapshot().pending})`);
    const storm = typed < messages; // disruptions only while typing; afterwards it must settle
    const r = rnd();
    if (typed === 0 && s.snapshot().phase === Phase.IDLE) {
      apply(s.join('r1'));
    } else if (r < 0.2 && typed < messages) {
      typed++;
      apply(s.send(`m${typed}`).effects);
    } else if (conn && conn.mode === 'refused') {
      seen.refusals++;
      const gen = conn.gen;
      conn = null;
      apply(s.closed(gen, 1013, 'try again later'));
    } else if (r < 0.45 && conn && conn.c2s.length) {
      serverReads();
    } else if (r < 0.75 && conn && conn.s2c.length) {
      clientReads();
    } else if (r < 0.78 && storm && conn && conn.mode === 'open') {
      conn.mode = 'draining';
    } else if ((r < 0.82 && storm && conn && conn.mode === 'open') || (conn && conn.mode === 'draining' && (r < 0.82 || !storm))) {
      // A draining server always goes on to say bye.
      conn.mode = 'sealed';
      conn.s2c.push(bye(total, Math.floor(rnd() * 5000)), 'CLOSE');
    } else if (r < 0.84 && storm && conn) {
      seen.drops++;
      die(1006);
    } else if (timers.size && (!conn || (!conn.c2s.length && !conn.s2c.length))) {
      // Time passes only when nothing is on the wire, as on a real network it would be
      // quicker than any timer here; the handshake deadline still fires if nothing comes.
      const name = timers.has('reconnect') ? 'reconnect' : [...timers.keys()][0];
      timers.delete(name);
      apply(s.fired(name));
    } else if (conn && conn.c2s.length) {
      serverReads();
    } else if (conn && conn.s2c.length) {
      clientReads();
    }
  }
  return { counted, total, clientTotal: s.snapshot().total, acked, failed, typed, seen };
}

test('through many random rollovers, drops and refusals no message is lost or counted twice', (t) => {
  const paths = { byeWithUnanswered: 0, draining: 0, drops: 0, refusals: 0, duplicates: 0, afterBye: 0 };
  for (let seed = 1; seed <= 300; seed++) {
    const n = 5 + (seed % 26);
    const r = simulate(seed, n);
    for (const k of Object.keys(paths)) {
      paths[k] += r.seen[k];
    }
    assert.equal(r.failed.length, 0, `seed ${seed}: no message failed`);
    assert.equal(r.total, n, `seed ${seed}: the server counted each of the ${n} typed messages once`);
    assert.equal(r.counted.size, n, `seed ${seed}: ${n} distinct ids counted`);
    assert.equal(r.acked.size, n, `seed ${seed}: every message acknowledged once on the page`);
    assert.equal(r.clientTotal, n, `seed ${seed}: the page shows the total the server has`);
  }
  t.diagnostic(`paths taken: ${JSON.stringify(paths)}`);
  // The runs must have gone through every hard case, or they prove little.
  for (const [path, count] of Object.entries(paths)) {
    assert.ok(count >= 20, `the runs exercised ${path} (${count} times)`);
  }
});

// ---- positions and recovery (DESIGN.md, "Positions and recovery") ---------------------------

const streams = (room, broadcast) => ({ room: { epoch: 'E', offset: room }, broadcast: { epoch: 'B', offset: broadcast } });
const message = (offset, text = `m${offset}`) => JSON.stringify({ type: 'message', room: 'r1', from: 'other', text, ts: 1, offset });
const broadcastFrame = (offset) => JSON.stringify({ type: 'broadcast', title: 't', message: `b${offset}`, level: 'info', ts: 1, offset });

/** Connected to r1 on a server that numbers its streams, with the room at `room` and broadcasts at `broadcast`. */
function positioned(room = 3, broadcast = 7) {
  const s = newSession();
  s.join('r1');
  s.received(1, welcome({ streams: streams(room, broadcast) }));
  return s;
}

test('positions: each offset is shown once, never a lower one, and the place is kept per stream', () => {
  const s = positioned(3, 7);
  assert.equal(events(s.received(1, message(4)), 'message').length, 1, 'the next offset');
  assert.equal(events(s.received(1, message(4)), 'message').length, 0, 'the same offset again is not shown');
  assert.equal(events(s.received(1, message(2)), 'message').length, 0, 'nor a lower one');
  assert.equal(events(s.received(1, broadcastFrame(8)), 'broadcast').length, 1, 'broadcasts have a stream of their own');
  assert.equal(events(s.received(1, broadcastFrame(8)), 'broadcast').length, 0);
});

test('positions: after a bye the client resumes from what it last saw, in both streams', () => {
  const s = positioned(3, 7);
  s.received(1, message(4));
  s.received(1, message(5));
  s.received(1, broadcastFrame(8));
  s.received(1, bye(0, 100));
  const fx = s.fired('reconnect');
  assert.deepEqual(ofKind(fx, 'connect')[0].query, { room: 'r1', session: SESSION, since: 'E:5', broadcastSince: 'B:8' });
});

test('positions: recovered:true keeps the place, and the replay then live frames are each shown once', () => {
  const s = positioned(3, 7);
  s.received(1, bye(0, 100));
  s.fired('reconnect');
  // Two messages were sent while the client was away; the new instance's top is 5.
  const w = s.received(2, welcome({ streams: streams(5, 7), recovered: true }));
  assert.equal(events(w, 'welcome')[0].recovered, true);
  assert.equal(events(w, 'gap').length, 0, 'nothing missing');
  assert.deepEqual([4, 5, 5, 6].map((o) => events(s.received(2, message(o)), 'message').length), [1, 1, 0, 1],
    'the replayed 4 and 5, then live 6; a 5 arriving twice is shown once');
});

test('positions: recovered:false says messages may be missing and starts from the new top', () => {
  const s = positioned(3, 7);
  s.received(1, bye(0, 100));
  s.fired('reconnect');
  const w = s.received(2, welcome({ streams: { room: { epoch: 'F', offset: 2 }, broadcast: { epoch: 'B', offset: 7 } }, recovered: false }));
  assert.equal(events(w, 'welcome')[0].recovered, false);
  assert.deepEqual(events(w, 'gap')[0].streams, ['room', 'broadcast'], 'the page is told, for each stream it had a place in');
  assert.equal(events(s.received(2, message(3)), 'message').length, 1, 'the new epoch numbers from its top');
  s.received(2, bye(0, 100));
  assert.equal(ofKind(s.fired('reconnect'), 'connect')[0].query.since, 'F:3', 'and the next resume starts there');
});

test('positions: another room is another stream; a server without positions is served as before', () => {
  const s = positioned(3, 7);
  s.received(1, message(4));
  const fx = s.join('r2');
  assert.deepEqual(ofKind(fx, 'connect')[0].query, { room: 'r2', session: SESSION, broadcastSince: 'B:7' },
    'no room position carried to another room');
  const plain = connected();
  assert.equal(events(plain.received(1, message(1)), 'message').length, 1);
  assert.equal(events(plain.received(1, message(1)), 'message').length, 1, 'without a welcome with streams, nothing is filtered');
  plain.received(1, bye(0, 100));
  assert.deepEqual(ofKind(plain.fired('reconnect'), 'connect')[0].query, { room: 'r1', session: SESSION }, 'no since without positions');
});

test('positions: each stream answers the resume for itself; the recovered one replays, the other starts anew', () => {
  const s = positioned(3, 7);
  s.received(1, bye(0, 100));
  s.fired('reconnect');
  const w = s.received(2, welcome({
    streams: { room: { epoch: 'E', offset: 5, recovered: true }, broadcast: { epoch: 'C', offset: 1, recovered: false } },
    recovered: false,
  }));
  assert.deepEqual(events(w, 'gap')[0].streams, ['broadcast'], 'only the broadcasts may have a hole');
  assert.deepEqual([4, 5].map((o) => events(s.received(2, message(o)), 'message').length), [1, 1], 'the room replay is shown');
  assert.equal(events(s.received(2, broadcastFrame(1)), 'broadcast').length, 0, 'the new broadcast epoch starts at its top');
  assert.equal(events(s.received(2, broadcastFrame(2)), 'broadcast').length, 1);
});

test('positions: a reset moves the place and says messages may be missing; a stale one is ignored', () => {
  const s = positioned(3, 7);
  const fx = s.received(1, JSON.stringify({ type: 'reset', stream: 'room', epoch: 'L1', offset: 0 }));
  assert.deepEqual(events(fx, 'gap')[0].streams, ['room']);
  assert.equal(events(s.received(1, message(1)), 'message').length, 1, 'the new numbering is shown from its first');
  assert.equal(events(s.received(1, JSON.stringify({ type: 'reset', stream: 'room', epoch: 'L1', offset: 1 })), 'gap').length, 0,
    'a reset to where we are already changes nothing');
  assert.equal(events(s.received(1, JSON.stringify({ type: 'reset', stream: 'nope' })), 'protocol').length, 1, 'a broken reset is reported');
  s.received(1, bye(0, 100));
  assert.equal(ofKind(s.fired('reconnect'), 'connect')[0].query.since, 'L1:1');
});
