// Recovery benchmark: what the numbered streams cost and what a resume storm looks like, for
// two (or more) WARs side by side. For every round and every WAR (in the order given, so the
// machine's noise falls on each of them in turn) a fresh Redis and a fresh server with that WAR
// are started, and three phases are measured:
//   1. throughput: --clients connections in rooms of 4, each keeping 4 messages unacknowledged,
//      3 s of warm-up then --seconds measured: acks/s and send→ack latency p50/p99/max;
//   2. Redis memory per room at the default window (HISTORY_SIZE 200): 50 fresh rooms filled with
//      200 messages of ~300 bytes each; used_memory before and after (skipped for a WAR whose
//      welcome has no streams);
//   3. resume storm: --storm clients (rooms of 4) connect, note their position, leave; 2 messages
//      go into every room; all come back with session + since, spread over 5 s: time until the
//      last one has both missed messages, recovered true/false, Redis commands per resume,
//      welcome latency.
// Usage: node recovery-bench.js <wlpHome> <serverConfigDir> <redisBinary> --war NAME=PATH [--war NAME=PATH ...]
//          [--rounds 3] [--clients 200] [--seconds 10] [--storm 5000] [--client-threads 2]
// BENCH_KEEP=1 keeps each server's user directory (console.log, logs/) and prints where it is.
'use strict';
const { spawn, execFileSync } = require('child_process');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const { performance } = require('perf_hooks');
const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const http = require('http');
const WebSocket = require('ws');

const now = () => performance.timeOrigin + performance.now(); // ms, one clock for every thread
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// The promise, or a rejection naming `what` after ms; the timer does not outlive the promise.
function withTimeout(promise, ms, what) {
  let timer;
  const expired = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

const WARM_UP_MS = 3000;
const HANDSHAKES_IN_FLIGHT = 200; // over all worker threads
const WINDOW = 4; // unacknowledged messages per client in the throughput phase
const MEM_ROOMS = 50;
const MEM_MESSAGES = 200; // = the default HISTORY_SIZE
const MEM_TEXT = 'm'.repeat(190); // a message frame of ~300 bytes with room, from, ts and offset
const STORM_SPREAD_MS = 5000;
const STORM_MISSED = 2; // messages sent into every storm room while its clients are away

if (!isMainThread) {
  clientWorker(workerData);
  return;
}

// ---- arguments ------------------------------------------------------------------------------

const usage = 'usage: node recovery-bench.js <wlpHome> <serverConfigDir> <redisBinary> --war NAME=PATH [--war NAME=PATH ...] '
  + '[--rounds 3] [--clients 200] [--seconds 10] [--storm 5000] [--client-threads 2]';
const positional = [];
const wars = [];
const opt = { rounds: 3, clients: 200, seconds: 10, storm: 5000, clientThreads: 2 };
{
  const args = process.argv.slice(2);
  const num = (name, v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) { console.error(`${name} needs a positive number, got ${v}\n${usage}`); process.exit(2); }
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--war') {
      const v = args[++i] || '';
      const eq = v.indexOf('=');
      if (eq <= 0) { console.error(`--war needs NAME=PATH, got ${v}\n${usage}`); process.exit(2); }
      wars.push({ name: v.slice(0, eq), file: path.resolve(v.slice(eq + 1)) });
    } else if (a === '--rounds') { opt.rounds = num(a, args[++i]); } else if (a === '--clients') { opt.clients = num(a, args[++i]); } else if (a === '--seconds') { opt.seconds = num(a, args[++i]); } else if (a === '--storm') { opt.storm = num(a, args[++i]); } else if (a === '--client-threads') { opt.clientThreads = num(a, args[++i]); } else if (a.startsWith('--')) { console.error(`unknown option ${a}\n${usage}`); process.exit(2); } else { positional.push(a); }
  }
  if (positional.length !== 3 || wars.length === 0) { console.error(usage); process.exit(2); }
  for (const w of wars) {
    if (!fs.existsSync(w.file)) { console.error(`WAR ${w.name}: ${w.file} does not exist`); process.exit(2); }
  }
  if (new Set(wars.map((w) => w.name)).size !== wars.length) { console.error('WAR names must differ'); process.exit(2); }
}
const [wlp, configDir, redisBin] = positional.map((p) => path.resolve(p));
for (const [what, p] of [['Liberty', path.join(wlp, 'bin', 'server')], ['config dir', configDir], ['redis binary', redisBin]]) {
  if (!fs.existsSync(p)) { console.error(`${what}: ${p} does not exist`); process.exit(2); }
}

// ---- processes: Redis, the server, and their clean-up -----------------------------------------

const children = new Set(); // {kill()} of everything started and not yet stopped
const tempDirs = new Set();
function cleanUpNow() {
  for (const c of children) { try { c.kill(); } catch (e) { /* gone already */ } }
  for (const d of tempDirs) { try { fs.rmSync(d, { recursive: true, force: true }); } catch (e) { /* best effort */ } }
}
process.on('exit', cleanUpNow);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { console.error(`\n${sig}: stopping`); process.exit(130); });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function get(port, p, timeout = 2000) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, timeout }, (res) => {
      let body = ''; res.on('data', (d) => body += d); res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', () => resolve({ status: -1, body: '' }));
    req.on('timeout', () => { req.destroy(); resolve({ status: -1, body: '' }); });
  });
}

async function until(what, ms, fn, every = 50) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(every);
  }
}

function exited(proc) {
  return proc.exitCode !== null || proc.signalCode !== null;
}

// Kills a process group (the server, started detached) or a process: SIGTERM, then SIGKILL after graceMs.
async function stop(proc, graceMs, group) {
  if (exited(proc)) return;
  const signal = (sig) => { try { process.kill(group ? -proc.pid : proc.pid, sig); } catch (e) { /* gone */ } };
  const gone = new Promise((r) => proc.once('exit', r));
  signal('SIGTERM');
  const killed = await withTimeout(gone, graceMs, 'exit').then(() => false, () => true);
  if (killed) {
    console.log(`  (pid ${proc.pid} still running ${graceMs} ms after SIGTERM: SIGKILL)`);
    signal('SIGKILL');
    await withTimeout(gone, 5000, 'exit after SIGKILL').catch((e) => console.log('  ' + e.message));
  }
}

async function startRedis() {
  const port = await freePort();
  const proc = spawn(redisBin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' });
  const handle = { kill: () => proc.kill('SIGKILL') };
  children.add(handle);
  await until('redis up on port ' + port, 10000, () => new Promise((res) => {
    if (exited(proc)) throw new Error('redis exited at start, code ' + proc.exitCode);
    const c = net.connect(port, '127.0.0.1', () => { c.end(); res(true); }); c.on('error', () => res(false));
  }));
  return {
    port,
    stop: async () => { await stop(proc, 2000, false); children.delete(handle); },
  };
}

async function startServer(war, redisPort) {
  const name = 'recovery-' + war.name.replace(/[^A-Za-z0-9_-]/g, '') + '-' + Math.random().toString(16).slice(2, 8);
  const usr = fs.mkdtempSync(path.join(os.tmpdir(), 'goingaway-recovery-bench-'));
  tempDirs.add(usr);
  const dir = path.join(usr, 'servers', name);
  fs.mkdirSync(path.join(dir, 'dropins'), { recursive: true });
  for (const f of fs.readdirSync(configDir)) {
    if (fs.statSync(path.join(configDir, f)).isFile()) fs.copyFileSync(path.join(configDir, f), path.join(dir, f));
  }
  fs.copyFileSync(war.file, path.join(dir, 'dropins', 'goingaway.war'));
  const port = await freePort();
  const env = Object.assign({}, process.env, {
    WLP_USER_DIR: usr, HTTP_PORT: String(port), HTTPS_PORT: String(await freePort()),
    REDIS_URL: 'redis://127.0.0.1:' + redisPort, INSTANCE_ID: name, RATE_LIMIT: '100000',
  });
  delete env.HISTORY_SIZE; // the defaults (200 messages, 5 min) are what the memory phase measures
  delete env.HISTORY_TTL;
  const log = path.join(usr, 'console.log');
  const out = fs.openSync(log, 'w');
  // `server run` execs the JVM; detached gives it its own process group to signal.
  const proc = spawn(path.join(wlp, 'bin', 'server'), ['run', name], { env, stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  const handle = { kill: () => process.kill(-proc.pid, 'SIGKILL') };
  children.add(handle);
  const t0 = Date.now();
  try {
    await until(`server ${name} ready (GET /health/ready = 200 on port ${port})`, 180000, async () => {
      if (exited(proc)) throw new Error(`server ${name} exited at start (code ${proc.exitCode}); see ${log}`);
      return (await get(port, '/health/ready')).status === 200;
    }, 250);
  } catch (e) {
    try { console.log('  last lines of console.log:\n' + fs.readFileSync(log, 'utf8').split('\n').slice(-15).join('\n')); } catch (x) { /* none */ }
    throw e;
  }
  return {
    port, usr, name, readyMs: Date.now() - t0,
    stop: async () => {
      await stop(proc, 15000, true);
      children.delete(handle);
      if (process.env.BENCH_KEEP) console.log(`  kept ${usr}`); else { fs.rmSync(usr, { recursive: true, force: true }); tempDirs.delete(usr); }
    },
  };
}

// ---- Redis: a tiny RESP client (no dependency) ---------------------------------------------------

// One command on a fresh connection; resolves with the reply (string, number, array, null) or
// rejects with a Redis error or a timeout.
function redis(port, ...cmd) {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { c.destroy(); reject(new Error(`timed out: redis ${cmd.join(' ')}`)); }, 5000);
    c.on('connect', () => {
      c.write('*' + cmd.length + '\r\n' + cmd.map((a) => { const s = String(a); return '$' + Buffer.byteLength(s) + '\r\n' + s + '\r\n'; }).join(''));
    });
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const r = parseResp(buf, 0);
      if (r) {
        clearTimeout(timer); c.end();
        if (r.value instanceof Error) reject(r.value); else resolve(r.value);
      }
    });
    c.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

// {value, next} for the reply starting at i, or null when more bytes are needed.
function parseResp(buf, i) {
  const eol = buf.indexOf('\r\n', i);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[i]);
  const line = buf.toString('utf8', i + 1, eol);
  const next = eol + 2;
  if (type === '+') return { value: line, next };
  if (type === '-') return { value: new Error('redis: ' + line), next };
  if (type === ':') return { value: Number(line), next };
  if (type === '$') {
    const n = Number(line);
    if (n < 0) return { value: null, next };
    if (buf.length < next + n + 2) return null;
    return { value: buf.toString('utf8', next, next + n), next: next + n + 2 };
  }
  if (type === '*') {
    const n = Number(line);
    if (n < 0) return { value: null, next };
    const items = []; let j = next;
    for (let k = 0; k < n; k++) { const r = parseResp(buf, j); if (!r) return null; items.push(r.value); j = r.next; }
    return { value: items, next: j };
  }
  return { value: new Error('redis: cannot parse reply ' + JSON.stringify(line)), next };
}

async function usedMemory(port) {
  const m = (await redis(port, 'INFO', 'memory')).match(/^used_memory:(\d+)/m);
  if (!m) throw new Error('no used_memory in INFO memory');
  return +m[1];
}

// Calls of every command so far ({command: calls}), except INFO (this benchmark's own).
async function commandCalls(port) {
  const text = await redis(port, 'INFO', 'commandstats');
  const calls = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (m[1] !== 'info') calls[m[1]] = +m[2];
  return calls;
}

// {total, top: 'cmd n, cmd n'} of the calls made between two commandCalls readings.
function callsBetween(a, b) {
  const d = Object.entries(b).map(([k, v]) => [k, v - (a[k] || 0)]).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);
  return { total: d.reduce((s, [, v]) => s + v, 0), top: d.slice(0, 6).map(([k, v]) => `${k} ${v}`).join(', ') };
}

// ---- the server's metrics ----------------------------------------------------------------------

async function activeSessions(port) {
  const r = await get(port, '/metrics', 5000);
  if (r.status !== 200) return NaN;
  const m = r.body.match(/^ws_sessions_active(?:\{[^}]*\})?\s+(\S+)/m);
  return m ? Number(m[1]) : NaN;
}

// The server's own view of trouble: the counters below that are not zero (any tags), the gauges
// that say a store is down, and the WARNING/ERROR lines of its console log.
const TROUBLE = ['stream_gaps_repaired', 'stream_holes_skipped', 'stream_resets_sent', 'stream_recoveries_failed',
  'store_write_failures', 'cluster_publish_failures', 'cluster_resubscribes', 'ws_slow_consumers_closed',
  'ws_connections_refused', 'ws_errors', 'ws_messages_duplicate', 'ws_heartbeat_timeouts'];
async function serverNotes(server) {
  const notes = [];
  const r = await get(server.port, '/metrics', 5000);
  if (r.status === 200) {
    for (const line of r.body.split('\n')) {
      const m = line.match(/^([a-z_]+?)(?:_total)?(\{[^}]*\})?\s+(\S+)$/);
      if (!m) continue;
      const v = Number(m[3]);
      const tags = (m[2] || '').replace(/,?mp_scope="[^"]*"/, '').replace(/,\}$/, '}').replace(/^\{,?/, '{');
      if (TROUBLE.includes(m[1]) && v > 0) notes.push(`${m[1]}${tags === '{}' ? '' : tags} ${v}`);
      if ((m[1] === 'store_up' || m[1] === 'stream_store_up' || m[1] === 'cluster_bus_up') && v === 0) notes.push(`${m[1]} 0`);
    }
  } else notes.push('GET /metrics: ' + r.status);
  const log = path.join(server.usr, 'console.log');
  const bad = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter((l) => /^\[(WARNING|ERROR|SEVERE|FATAL) *\]/.test(l)) : [];
  if (bad.length) {
    const kinds = [...new Set(bad.map((l) => l.replace(/^\[[A-Z]+ *\]\s*/, '').slice(0, 140)))];
    notes.push(`${bad.length} WARNING/ERROR log lines, e.g. ${kinds.slice(0, 3).map((k) => JSON.stringify(k)).join(' | ')}`);
  }
  return notes.length ? notes.join('; ') : 'nothing (no trouble counters, no warnings)';
}

async function untilNoSessions(port, what) {
  let last = NaN;
  try {
    await until(`${what}: ws_sessions_active to reach 0`, 30000, async () => {
      last = await activeSessions(port);
      if (Number.isNaN(last)) throw new Error(`${what}: no ws_sessions_active gauge in /metrics`);
      return last === 0;
    }, 100);
  } catch (e) {
    throw new Error(`${e.message} (last seen ${last})`);
  }
}

// ---- worker threads ----------------------------------------------------------------------------

// One worker thread's share of the clients. Commands come from the main thread:
//   {cmd:'connect', clients:[{index, room, query, roomSize}]} → {connected, streams}
//   {cmd:'throughput', start, warmEnd, end}                    → {throughput} (the clients then close)
//   {cmd:'close'}                                              → {closed}
//   {cmd:'resume', t0, spreadMs, total, graceMs}               → {storm: one record per client}
// A client that fails before its welcome (outside the storm's resumes) is reported as {error}.
function clientWorker({ port, concurrency, id }) {
  let clients = [];
  const url = (q) => 'ws://127.0.0.1:' + port + '/ws/chat?' + q;
  const fail = (msg) => parentPort.postMessage({ error: `worker ${id}: ${msg}` });

  function openAll(specs, done) {
    clients = specs.map((s) => Object.assign({
      ws: null, session: null, since: null, welcome: false, received: 0, errors: 0, inflight: new Map(), seq: 0,
    }, s));
    let started = 0; let opened = 0; let streams = true;
    if (clients.length === 0) { done(true); return; }
    const next = () => {
      if (started >= clients.length) return;
      const c = clients[started++];
      c.ws = new WebSocket(url(c.query));
      c.ws.on('message', (data) => {
        const f = JSON.parse(data);
        if (f.type === 'welcome') {
          c.welcome = true; c.session = f.session;
          const room = f.streams && f.streams.room;
          if (room) c.since = room.epoch + ':' + room.offset; else streams = false;
          if (++opened === clients.length) done(streams);
          next();
        } else if (f.type === 'message') {
          c.received++;
        } else if (f.type === 'ack' || f.type === 'error') {
          if (f.type === 'error') c.errors++;
          if (c.onReply) c.onReply(f);
        }
      });
      c.ws.on('error', (e) => { if (!c.welcome) fail(`client ${c.index} (${c.query}): ${e.message || e}`); });
      c.ws.on('close', (code) => { if (!c.welcome) fail(`client ${c.index} closed with ${code} before its welcome`); });
    };
    for (let i = 0; i < Math.min(concurrency, clients.length); i++) next();
  }

  function throughput({ start, warmEnd, end }) {
    const lat = [];
    let acksInWindow = 0; let acksTotal = 0; let expectedDeliveries = 0; let lost = 0;
    let lastFrame = now();
    const send = (c) => {
      const mid = `${id}-${c.index}-${c.seq++}`;
      c.inflight.set(mid, now());
      c.ws.send(JSON.stringify({ type: 'message', id: mid, text: 'throughput ' + mid }));
    };
    for (const c of clients) {
      c.received = 0;
      const count = c.ws.listeners('message')[0];
      c.ws.removeAllListeners('message');
      c.ws.on('message', (data) => { lastFrame = now(); count(data); });
      c.onReply = (f) => {
        const t = now();
        const sent = c.inflight.get(f.id);
        if (sent === undefined) return;
        c.inflight.delete(f.id);
        if (f.type === 'ack') {
          acksTotal++; expectedDeliveries += c.roomSize;
          if (t >= warmEnd && t <= end) acksInWindow++;
          if (sent >= warmEnd && sent <= end) lat.push(t - sent);
        }
        if (t < end) send(c);
      };
    }
    setTimeout(() => { for (const c of clients) for (let k = 0; k < WINDOW; k++) send(c); }, Math.max(0, start - now()));
    // After the end: every outstanding ack (10 s at most), then 500 ms without any frame (fan-out settled).
    setTimeout(async function finish() {
      const deadline = now() + 10000;
      while (clients.some((c) => c.inflight.size > 0) && now() < deadline) await sleep(20);
      for (const c of clients) lost += c.inflight.size;
      const quietBy = now() + 10000;
      while (now() - lastFrame < 500 && now() < quietBy) await sleep(50);
      const received = clients.map((c) => c.received);
      const errors = clients.reduce((s, c) => s + c.errors, 0);
      for (const c of clients) { c.onReply = null; c.ws.close(1000, 'done'); }
      await waitClosed(5000);
      parentPort.postMessage({ throughput: { acksInWindow, acksTotal, expectedDeliveries, lost, errors, received, lat: Float64Array.from(lat) } });
    }, Math.max(0, end - now()));
  }

  async function waitClosed(ms) {
    const by = now() + ms;
    while (clients.some((c) => c.ws.readyState !== WebSocket.CLOSED) && now() < by) await sleep(20);
    for (const c of clients) if (c.ws.readyState !== WebSocket.CLOSED) c.ws.terminate();
  }

  // Every client comes back at t0 + its share of the spread, with its session and position, and
  // records its welcome and the missed messages (offsets since+1 .. since+STORM_MISSED).
  function resume({ t0, spreadMs, total, graceMs }) {
    let settled = 0; let lastEvent = now();
    const recs = clients.map(() => ({ start: NaN, welcome: NaN, recovered: null, got: 0, both: NaN, extra: 0, resets: 0, errors: 0, failed: null }));
    const check = () => { lastEvent = now(); };
    clients.forEach((c, k) => {
      const r = recs[k];
      const sinceOffset = c.since ? +c.since.slice(c.since.lastIndexOf(':') + 1) : null;
      const want = new Set(); if (sinceOffset !== null) for (let o = 1; o <= STORM_MISSED; o++) want.add(sinceOffset + o);
      setTimeout(() => {
        r.start = now();
        const q = 'session=' + encodeURIComponent(c.session) + '&room=' + encodeURIComponent(c.room) + (c.since ? '&since=' + encodeURIComponent(c.since) : '');
        const ws = new WebSocket(url(q));
        c.ws = ws;
        ws.on('message', (data) => {
          const f = JSON.parse(data);
          if (f.type === 'welcome') {
            r.welcome = now(); r.recovered = f.recovered === undefined ? null : f.recovered;
            if (want.size === 0) settled++;
            check();
          } else if (f.type === 'message') {
            if (Number.isNaN(r.welcome)) { r.extra++; return; } // before the welcome: not expected
            if (want.has(f.offset)) {
              want.delete(f.offset); r.got++;
              if (want.size === 0) { r.both = now(); settled++; }
            } else {
              r.extra++; // base build (no offset), a repeat, or an offset not owed
              if (sinceOffset === null) r.got++;
            }
            check();
          } else if (f.type === 'reset') { r.resets++; check(); } else if (f.type === 'error') { r.errors++; }
        });
        ws.on('error', (e) => { if (Number.isNaN(r.welcome) && !r.failed) { r.failed = String(e.message || e); settled++; check(); } });
        ws.on('close', (code) => { if (Number.isNaN(r.welcome) && !r.failed) { r.failed = 'closed ' + code; settled++; check(); } });
      }, Math.max(0, t0 + (spreadMs * c.index) / total - now()));
    });
    // Done when every client has its welcome and (if it resumed with a position) both missed
    // messages, or graceMs after the last event; the main thread's own timeout covers a hang.
    const timer = setInterval(async () => {
      const allStarted = recs.every((r) => !Number.isNaN(r.start));
      const welcomed = recs.every((r) => !Number.isNaN(r.welcome) || r.failed);
      if (!allStarted || !welcomed) return;
      if (settled < clients.length && now() - lastEvent < graceMs) return;
      clearInterval(timer);
      for (const c of clients) c.ws.close(1000, 'done');
      await waitClosed(5000);
      parentPort.postMessage({ storm: recs });
    }, 50);
  }

  parentPort.on('message', (m) => {
    try {
      if (m.cmd === 'connect') openAll(m.clients, (streams) => parentPort.postMessage({ connected: clients.length, streams }));
      else if (m.cmd === 'throughput') throughput(m);
      else if (m.cmd === 'close') {
        for (const c of clients) c.ws.close(1000, 'leaving');
        waitClosed(10000).then(() => parentPort.postMessage({ closed: true }));
      } else if (m.cmd === 'resume') resume(m);
    } catch (e) { fail(e.stack || String(e)); }
  });
}

// A set of worker threads holding `specs` (spread round-robin), with one request/answer at a time.
class Clients {
  constructor(port, specs) {
    const n = Math.max(1, Math.min(opt.clientThreads, specs.length));
    this.workers = [];
    this.errors = [];
    for (let w = 0; w < n; w++) {
      const worker = new Worker(__filename, { workerData: { port, id: w, concurrency: Math.max(1, Math.floor(HANDSHAKES_IN_FLIGHT / n)) } });
      worker.on('error', (e) => this.errors.push(String(e.stack || e)));
      worker.on('message', (m) => { if (m.error) this.errors.push(m.error); });
      this.workers.push({ worker, specs: specs.filter((_, i) => i % n === w) });
    }
  }

  // Sends each worker its command and waits (timeoutMs) for the answer carrying `key`.
  ask(what, timeoutMs, key, cmd) {
    return Promise.race([
      Promise.all(this.workers.map(({ worker, specs }) => new Promise((resolve) => {
        const on = (m) => { if (m[key] !== undefined) { worker.off('message', on); resolve(m[key]); } };
        worker.on('message', on);
        worker.postMessage(typeof cmd === 'function' ? cmd(specs) : cmd);
      }))),
      new Promise((_, reject) => {
        const t0 = Date.now();
        const tick = setInterval(() => {
          if (this.errors.length) { clearInterval(tick); reject(new Error(`${what}: ${this.errors.slice(0, 3).join('; ')}${this.errors.length > 3 ? ` (+${this.errors.length - 3} more)` : ''}`)); }
          if (Date.now() - t0 > timeoutMs) { clearInterval(tick); reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)); }
        }, 50);
        this.tick = tick;
      }),
    ]).finally(() => clearInterval(this.tick));
  }

  end() { return Promise.all(this.workers.map(({ worker }) => worker.terminate())); }
}

// ---- statistics and formatting -----------------------------------------------------------------

const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const median = (xs) => pct(xs.filter((x) => !Number.isNaN(x)), 0.5);
const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');

// ---- the phases ----------------------------------------------------------------------------------

async function throughputPhase(server) {
  const n = opt.clients;
  const specs = [];
  for (let i = 0; i < n; i++) {
    const room = Math.floor(i / 4);
    specs.push({ index: i, room: 't' + room, query: 'room=t' + room, roomSize: Math.min(4, n - room * 4) });
  }
  const pool = new Clients(server.port, specs);
  try {
    await pool.ask(`throughput: ${n} clients connected`, 60000, 'connected', (s) => ({ cmd: 'connect', clients: s }));
    const start = now() + 200; const warmEnd = start + WARM_UP_MS; const end = warmEnd + opt.seconds * 1000;
    const parts = await pool.ask('throughput: run and drain', WARM_UP_MS + opt.seconds * 1000 + 40000, 'throughput', { cmd: 'throughput', start, warmEnd, end });
    const lat = parts.flatMap((p) => Array.from(p.lat));
    const received = parts.flatMap((p) => p.received);
    const sum = (k) => parts.reduce((s, p) => s + p[k], 0);
    return {
      acksPerSec: sum('acksInWindow') / opt.seconds,
      p50: pct(lat, 0.5), p99: pct(lat, 0.99), max: lat.length ? lat.reduce((a, b) => Math.max(a, b), 0) : NaN,
      minReceived: received.length ? Math.min(...received) : 0, medReceived: median(received),
      fanout: sum('expectedDeliveries') ? received.reduce((a, b) => a + b, 0) / sum('expectedDeliveries') : NaN,
      lost: sum('lost'), errors: sum('errors'), samples: lat.length,
    };
  } finally { await pool.end(); }
}

// Opens one client per room on the main thread (the memory phase and the storm's senders).
function openClient(port, room) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket('ws://127.0.0.1:' + port + '/ws/chat?room=' + room);
    const c = { ws, welcome: null, pending: new Map(), errors: 0, seq: 0 };
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`timed out: welcome in room ${room}`)); }, 20000);
    ws.on('message', (data) => {
      const m = JSON.parse(data);
      if (m.type === 'welcome') { clearTimeout(timer); c.welcome = m; resolve(c); } else if (m.type === 'ack' || m.type === 'error') {
        if (m.type === 'error') c.errors++;
        const p = c.pending.get(m.id); if (p) { c.pending.delete(m.id); p(m); }
      }
    });
    ws.on('error', (e) => { clearTimeout(timer); reject(new Error(`room ${room}: ${e.message || e}`)); });
  });
}

// Sends `count` messages with `window` in flight and resolves with how many were acknowledged.
function sendMany(c, count, window, text) {
  return new Promise((resolve) => {
    let sent = 0; let answered = 0; let acked = 0;
    const one = () => {
      if (sent >= count) return;
      const id = 'x' + (c.seq++);
      sent++;
      c.pending.set(id, (m) => { answered++; if (m.type === 'ack') acked++; if (answered === count) resolve(acked); else one(); });
      c.ws.send(JSON.stringify({ type: 'message', id, text }));
    };
    for (let k = 0; k < Math.min(window, count); k++) one();
  });
}

async function closeAll(cs) {
  await Promise.all(cs.map((c) => new Promise((r) => {
    if (c.ws.readyState === WebSocket.CLOSED) { r(); return; }
    const t = setTimeout(() => { c.ws.terminate(); r(); }, 5000);
    c.ws.once('close', () => { clearTimeout(t); r(); });
    c.ws.close(1000, 'done');
  })));
}

async function memoryPhase(server, redisPort) {
  const cs = [];
  try {
    for (let k = 0; k < MEM_ROOMS; k++) cs.push(await openClient(server.port, 'mem' + k));
    if (!cs[0].welcome.streams) return null;
    await sleep(300);
    const before = await usedMemory(redisPort);
    const acked = await withTimeout(Promise.all(cs.map((c) => sendMany(c, MEM_MESSAGES, 16, MEM_TEXT))), 120000, 'memory phase acks');
    await sleep(300);
    const after = await usedMemory(redisPort);
    let keyBytes = 0; let xlen = Infinity;
    for (let k = 0; k < MEM_ROOMS; k++) {
      const base = 'goingaway:{stream:room:mem' + k + '}:';
      keyBytes += (await redis(redisPort, 'MEMORY', 'USAGE', base + 'log', 'SAMPLES', '0')) || 0;
      keyBytes += (await redis(redisPort, 'MEMORY', 'USAGE', base + 'meta', 'SAMPLES', '0')) || 0;
      xlen = Math.min(xlen, await redis(redisPort, 'XLEN', base + 'log'));
    }
    const ackedTotal = acked.reduce((a, b) => a + b, 0);
    return {
      delta: after - before, perRoom: (after - before) / MEM_ROOMS, perMessage: (after - before) / (MEM_ROOMS * MEM_MESSAGES),
      keysPerRoom: keyBytes / MEM_ROOMS, minXlen: xlen, acked: ackedTotal, expected: MEM_ROOMS * MEM_MESSAGES,
    };
  } finally { await closeAll(cs); }
}

async function stormPhase(server, redisPort) {
  const n = opt.storm;
  const specs = [];
  for (let i = 0; i < n; i++) specs.push({ index: i, room: 's' + Math.floor(i / 4), query: 'room=s' + Math.floor(i / 4) });
  const rooms = Math.ceil(n / 4);
  const pool = new Clients(server.port, specs);
  try {
    const tc = now();
    await pool.ask(`storm: ${n} clients connected`, 180000, 'connected', (s) => ({ cmd: 'connect', clients: s }));
    const connectMs = now() - tc;
    await pool.ask('storm: all clients closed', 20000, 'closed', { cmd: 'close' });
    await untilNoSessions(server.port, 'after the storm clients left');
    // Two messages into every storm room, from 16 sender connections at a time.
    let nextRoom = 0; let senderAcks = 0; let senderErrors = 0;
    await withTimeout(Promise.all(Array.from({ length: Math.min(16, rooms) }, async () => {
      while (nextRoom < rooms) {
        const room = 's' + (nextRoom++);
        const c = await openClient(server.port, room);
        const acked = await sendMany(c, STORM_MISSED, STORM_MISSED, 'missed while away');
        senderAcks += acked; // (not `x += await`, which adds to the value read before the wait)
        senderErrors += c.errors;
        await closeAll([c]);
      }
    })), 120000, 'sending the missed messages');
    if (senderAcks !== rooms * STORM_MISSED) console.log(`  note: ${senderAcks} of ${rooms * STORM_MISSED} missed messages acknowledged (${senderErrors} errors)`);
    await untilNoSessions(server.port, 'after the senders left');
    await sleep(500);
    const calls0 = await commandCalls(redisPort);
    const t0 = now() + 300;
    const parts = await pool.ask('storm: resumes', STORM_SPREAD_MS + 90000, 'storm', { cmd: 'resume', t0, spreadMs: STORM_SPREAD_MS, total: n, graceMs: 3000 });
    const calls1 = await commandCalls(redisPort);
    const calls = callsBetween(calls0, calls1);
    const recs = parts.flat();
    const first = Math.min(...recs.map((r) => r.start));
    const ok = recs.filter((r) => !r.failed);
    const done = ok.map((r) => (Number.isNaN(r.both) ? r.welcome : r.both));
    const welcomeLat = ok.map((r) => r.welcome - r.start);
    return {
      connectMs, n,
      stormMs: done.length ? Math.max(...done) - first : NaN,
      lastWelcomeMs: ok.length ? Math.max(...ok.map((r) => r.welcome)) - first : NaN,
      recTrue: recs.filter((r) => r.recovered === true).length,
      recFalse: recs.filter((r) => r.recovered === false).length,
      recAbsent: ok.filter((r) => r.recovered === null).length,
      both: recs.filter((r) => !Number.isNaN(r.both)).length,
      gotAny: recs.filter((r) => r.got > 0).length,
      got: recs.reduce((s, r) => s + r.got, 0),
      extra: recs.reduce((s, r) => s + r.extra, 0),
      resets: recs.reduce((s, r) => s + r.resets, 0),
      errors: recs.reduce((s, r) => s + r.errors, 0),
      failed: recs.filter((r) => r.failed).length,
      failures: [...new Set(recs.filter((r) => r.failed).map((r) => r.failed))].slice(0, 3),
      cmdsPerResume: calls.total / n, cmds: calls.total, cmdsTop: calls.top,
      welcomeP50: pct(welcomeLat, 0.5), welcomeP99: pct(welcomeLat, 0.99),
    };
  } finally { await pool.end(); }
}

// ---- main ----------------------------------------------------------------------------------------

(async () => {
  let java = 'java: ?';
  try { java = execFileSync('sh', ['-c', 'java -version 2>&1 | head -1']).toString().trim(); } catch (e) { /* keep */ }
  console.log(`recovery benchmark, ${new Date().toISOString()}`);
  console.log(`machine: nproc ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${java}`);
  for (const w of wars) console.log(`WAR ${w.name}: ${w.file} (${fs.statSync(w.file).size} bytes, ${fs.statSync(w.file).mtime.toISOString()})`);
  console.log(`rounds ${opt.rounds}, throughput ${opt.clients} clients × window ${WINDOW}, ${WARM_UP_MS / 1000} s warm-up + ${opt.seconds} s, `
    + `memory ${MEM_ROOMS} rooms × ${MEM_MESSAGES} messages, storm ${opt.storm} clients (${Math.ceil(opt.storm / 4)} rooms) over ${STORM_SPREAD_MS / 1000} s, `
    + `${opt.clientThreads} client threads, RATE_LIMIT=100000\n`);

  const results = Object.fromEntries(wars.map((w) => [w.name, []]));
  for (let round = 1; round <= opt.rounds; round++) {
    for (const war of wars) {
      const tag = `round ${round} ${war.name}`;
      const tr = Date.now();
      const redisServer = await startRedis();
      let server = null;
      try {
        server = await startServer(war, redisServer.port);
        console.log(`${tag} server ready in ${f(server.readyMs / 1000)} s`);
        const row = { throughput: null, memory: null, storm: null };
        results[war.name].push(row);

        const t = row.throughput = await throughputPhase(server);
        console.log(`${tag} throughput: ${int(t.acksPerSec)} acks/s, ack latency p50 ${f(t.p50)} ms p99 ${f(t.p99)} ms max ${f(t.max)} ms `
          + `(${int(t.samples)} samples); room messages per client min ${int(t.minReceived)} median ${int(t.medReceived)}, `
          + `fan-out ${f(100 * t.fanout)}% of acked × room size; unacked ${t.lost}, errors ${t.errors}${t.minReceived > 0 ? '' : '  <-- a client received no room message'}`);
        await untilNoSessions(server.port, 'after the throughput phase');

        const m = row.memory = await memoryPhase(server, redisServer.port);
        if (m) {
          console.log(`${tag} memory: used_memory +${int(m.delta)} B for ${MEM_ROOMS} rooms × ${MEM_MESSAGES} messages → ${int(m.perRoom)} B/room, `
            + `${int(m.perMessage)} B/message (MEMORY USAGE of the rooms' keys ${int(m.keysPerRoom)} B/room); min XLEN ${m.minXlen}, acked ${m.acked}/${m.expected}`);
        } else {
          console.log(`${tag} memory: skipped (the welcome has no streams)`);
        }
        await untilNoSessions(server.port, 'after the memory phase');

        const s = row.storm = await stormPhase(server, redisServer.port);
        const owed = s.recAbsent === s.n ? `messages after the welcome ${s.got} (clients with any ${s.gotAny})`
          : `both missed messages ${s.both}/${s.n} (clients with any ${s.gotAny}, messages ${s.got})`;
        console.log(`${tag} storm: ${s.n} resumes (first connects took ${int(s.connectMs)} ms), all done in ${int(s.stormMs)} ms `
          + `(last welcome ${int(s.lastWelcomeMs)} ms); recovered true ${s.recTrue} / false ${s.recFalse} / absent ${s.recAbsent}; `
          + `${owed}; unexpected messages ${s.extra}, resets ${s.resets}, error frames ${s.errors}, failed ${s.failed}`
          + `${s.failures.length ? ' (' + s.failures.join('; ') + ')' : ''}; `
          + `Redis ${f(s.cmdsPerResume, 2)} commands/resume (${int(s.cmds)}: ${s.cmdsTop}); welcome latency p50 ${f(s.welcomeP50)} ms p99 ${f(s.welcomeP99)} ms`);
        console.log(`${tag} server reports: ${await serverNotes(server)}`);
      } finally {
        const ts = Date.now();
        if (server) await server.stop();
        await redisServer.stop();
        if (server) console.log(`${tag} stopped in ${f((Date.now() - ts) / 1000)} s; run took ${f((Date.now() - tr) / 1000)} s`);
      }
    }
  }

  console.log('\nSummary (median over rounds):');
  console.log('| WAR | acks/s | ack p99 (ms) | storm: all done (ms) | Redis commands/resume | Redis bytes/room |');
  console.log('|---|---:|---:|---:|---:|---:|');
  const med = {};
  for (const w of wars) {
    const rows = results[w.name];
    med[w.name] = {
      acks: median(rows.map((r) => r.throughput.acksPerSec)),
      p99: median(rows.map((r) => r.throughput.p99)),
      storm: median(rows.map((r) => r.storm.stormMs)),
      cmds: median(rows.map((r) => r.storm.cmdsPerResume)),
      bytes: median(rows.map((r) => (r.memory ? r.memory.perRoom : NaN))),
    };
    const x = med[w.name];
    console.log(`| ${w.name} | ${int(x.acks)} | ${f(x.p99)} | ${int(x.storm)} | ${f(x.cmds, 2)} | ${int(x.bytes)} |`);
  }
  if (wars.length >= 2) {
    const [a, b] = [wars[0].name, wars[1].name];
    console.log(`${b}/${a} acks/s ${f(med[b].acks / med[a].acks, 2)}×, ack p99 ${f(med[b].p99 / med[a].p99, 2)}×`);
  }
})().catch((e) => { console.error('\nFAILED: ' + (e.stack || e)); process.exitCode = 1; })
  .finally(() => { cleanUpNow(); children.clear(); });
