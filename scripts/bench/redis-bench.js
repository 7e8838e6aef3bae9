// Redis shapes benchmark (issue 17): what chat costs on a single Redis node, behind Sentinel and
// on a Redis Cluster, and what a primary's death looks like to the clients. For every round the
// shapes run in turn (single, sentinel, cluster, so the machine's noise falls on each of them),
// each on a fresh Redis topology and a fresh server (RATE_LIMIT=100000, HISTORY_* default):
//   single    one redis-server                                      (REDIS_URL)
//   sentinel  a primary, a replica and three sentinels, quorum 2,    (REDIS_SENTINEL_NODES,
//             down-after-milliseconds 1000, failover-timeout 3000     REDIS_SENTINEL_MASTER)
//   cluster   three primaries with a replica each, 16384 slots split  (REDIS_CLUSTER_NODES)
//             evenly, cluster-node-timeout 1000
// built from the redis-server binary alone, as the tests' RedisSentinelSetup and
// RedisClusterSetup do (there is no redis-cli). Two phases on the same server:
//   1. throughput: --clients connections in rooms of 4, each keeping 4 messages unacknowledged,
//      3 s of warm-up then --seconds measured: acks/s, send→ack latency p50/p99/max, fan-out;
//   2. failover (sentinel and cluster only): 40 clients in rooms of 4, each sending a message every
//      50 ms without waiting for answers; once every client has had acks, the primary is SIGKILLed
//      (sentinel: the one the sentinels name; cluster: the one serving the slot of the first
//      room's stream, `goingaway:{stream:room:R}:meta`), and from the kill:
//      (a) Redis: until the sentinels (every one) or the cluster (every running node, cluster_state
//          ok) name a new primary for it and that node answers ROLE master (polled every 50 ms);
//      (b) writes flowing again: until every member of every room on the killed primary has been
//          told, with a reset frame, of an epoch that is neither its room's epoch before the kill
//          nor a local one ("L…"): the service appends through the new primary;
//      (c) the messages sent from the kill until (b): acked, error frames (by code), unanswered
//          5 s after (b); ack latency p50/p99/max, the longest time no client had any ack;
//          offsets skipped without a reset, or repeated, per member.
//      On the cluster 8 of the 10 rooms are on the killed primary's slots and 2 on other primaries
//      ("bystanders": their numbers are reported apart; they should notice nothing).
// Per round and shape one line per phase, the server's own trouble counters and warnings; then
// medians per shape and the ratios sentinel/single and cluster/single of acks/s and p99.
// Usage: node redis-bench.js <wlpHome> <serverConfigDir> <redisBinary> --war PATH
//          [--rounds 3] [--clients 200] [--seconds 10] [--client-threads 2] [--shapes single,sentinel,cluster]
// BENCH_KEEP=1 keeps each server's user directory and each topology's directory (redis logs).
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
const SHAPES = ['single', 'sentinel', 'cluster'];
const MASTER = 'goingaway'; // REDIS_SENTINEL_MASTER
const DOWN_AFTER_MS = 1000; // sentinel down-after-milliseconds, cluster-node-timeout
const CLUSTER_PRIMARIES = 3; // with one replica each
const SLOTS = 16384;
const SETTLE_MS = 20000; // a topology's start-up conditions
const FO_CLIENTS = 40;
const FO_AFFECTED_ROOMS = 8; // cluster: rooms on the killed primary's slots (the other rooms are bystanders)
const FO_EVERY_MS = 50; // each failover client sends a message this often
const FO_ACKS_BEFORE = 5; // acks every failover client has had before the kill
const FO_LIMIT_MS = 60000; // the longest (a) and (b) are waited for
const FO_ANSWERS_MS = 5000; // answers after (b)
const FO_POLL_MS = 50;

if (!isMainThread) {
  clientWorker(workerData);
  return;
}

// ---- arguments ------------------------------------------------------------------------------

const usage = 'usage: node redis-bench.js <wlpHome> <serverConfigDir> <redisBinary> --war PATH '
  + '[--rounds 3] [--clients 200] [--seconds 10] [--client-threads 2] [--shapes single,sentinel,cluster]';
const positional = [];
let warFile = null;
const opt = { rounds: 3, clients: 200, seconds: 10, clientThreads: 2, shapes: SHAPES.slice() };
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
      const v = args[++i];
      if (!v) { console.error(`--war needs a path\n${usage}`); process.exit(2); }
      warFile = path.resolve(v);
    } else if (a === '--rounds') { opt.rounds = num(a, args[++i]); } else if (a === '--clients') { opt.clients = num(a, args[++i]); } else if (a === '--seconds') { opt.seconds = num(a, args[++i]); } else if (a === '--client-threads') { opt.clientThreads = num(a, args[++i]); } else if (a === '--shapes') {
      opt.shapes = String(args[++i] || '').split(',').map((s) => s.trim()).filter(Boolean);
      const bad = opt.shapes.filter((s) => !SHAPES.includes(s));
      if (bad.length || !opt.shapes.length) { console.error(`--shapes takes a comma list of ${SHAPES.join(', ')}; got ${args[i]}\n${usage}`); process.exit(2); }
    } else if (a.startsWith('--')) { console.error(`unknown option ${a}\n${usage}`); process.exit(2); } else { positional.push(a); }
  }
  if (positional.length !== 3 || !warFile) { console.error(usage); process.exit(2); }
  if (!fs.existsSync(warFile)) { console.error(`WAR ${warFile} does not exist`); process.exit(2); }
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

// `count` different free ports (a port picked twice is picked again).
async function distinctPorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
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

function tail(file, lines = 15) {
  try { return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n'); } catch (e) { return '(no log)'; }
}

async function startServer(shape, redisEnv) {
  const name = 'redis-' + shape + '-' + Math.random().toString(16).slice(2, 8);
  const usr = fs.mkdtempSync(path.join(os.tmpdir(), 'goingaway-redis-bench-'));
  tempDirs.add(usr);
  const dir = path.join(usr, 'servers', name);
  fs.mkdirSync(path.join(dir, 'dropins'), { recursive: true });
  for (const f of fs.readdirSync(configDir)) {
    if (fs.statSync(path.join(configDir, f)).isFile()) fs.copyFileSync(path.join(configDir, f), path.join(dir, f));
  }
  fs.copyFileSync(warFile, path.join(dir, 'dropins', 'goingaway.war'));
  const port = await freePort();
  const env = Object.assign({}, process.env);
  // Exactly one shape, and the defaults for the rest of what Redis is asked to keep.
  for (const k of ['REDIS_URL', 'REDIS_SENTINEL_NODES', 'REDIS_SENTINEL_MASTER', 'REDIS_CLUSTER_NODES', 'HISTORY_SIZE', 'HISTORY_TTL']) delete env[k];
  Object.assign(env, {
    WLP_USER_DIR: usr, HTTP_PORT: String(port), HTTPS_PORT: String(await freePort()),
    INSTANCE_ID: name, RATE_LIMIT: '100000',
  }, redisEnv);
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
    console.log('  last lines of console.log:\n' + tail(log));
    throw e;
  }
  return {
    port, usr, name, readyMs: Date.now() - t0,
    stop: async () => {
      await stop(proc, 15000, true);
      children.delete(handle);
      if (process.env.BENCH_KEEP) console.log(`  kept ${usr}`); else fs.rmSync(usr, { recursive: true, force: true });
      tempDirs.delete(usr);
    },
  };
}

// ---- Redis: a tiny RESP client (no dependency) ---------------------------------------------------

// One command on a fresh connection; resolves with the reply (string, number, array, null) or
// rejects with a Redis error, a refused connection or a timeout (2 s).
function redis(port, ...cmd) {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { c.destroy(); reject(new Error(`timed out: redis ${port} ${cmd.join(' ')}`)); }, 2000);
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

// The same command, false instead of a rejection (a node that is down, a sentinel in doubt).
const ask = (port, ...cmd) => redis(port, ...cmd).catch(() => false);
// The value of `name` in an INFO-style reply (name:value lines), or null.
function field(info, name) {
  const m = typeof info === 'string' ? info.match(new RegExp('^' + name + ':(.*)$', 'm')) : null;
  return m ? m[1].trim() : null;
}
// A RESP2 map (a flat array of names and values) as an object.
function asMap(flat) {
  const o = {};
  for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i]] = flat[i + 1];
  return o;
}
const streamMeta = (room) => `goingaway:{stream:room:${room}}:meta`;
const isMaster = async (port) => { const r = await ask(port, 'ROLE'); return Array.isArray(r) && r[0] === 'master'; };

// ---- Redis topologies: one node, Sentinel, Cluster --------------------------------------------

// Starts redis-server with `args` (a config file and/or --option value pairs) in `dir` and waits
// until it answers PING; fails at once, with its log, if it exits instead.
async function startNode(dir, port, args, what) {
  fs.mkdirSync(dir, { recursive: true });
  const log = path.join(dir, 'redis.log');
  const out = fs.openSync(log, 'a');
  const proc = spawn(redisBin, args, { cwd: dir, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const handle = { kill: () => { if (!exited(proc)) proc.kill('SIGKILL'); } };
  children.add(handle);
  await until(`${what} on port ${port} answers PING`, 10000, async () => {
    if (exited(proc)) throw new Error(`${what} on port ${port} exited at start (code ${proc.exitCode}):\n${tail(log)}`);
    return (await ask(port, 'PING')) === 'PONG';
  });
  return {
    port, what, alive: () => !exited(proc),
    // SIGKILL, as a crashed host: no goodbye to replicas, sentinels or the cluster bus. Waits until it is gone.
    kill: async () => {
      if (exited(proc)) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await withTimeout(gone, 10000, `redis on port ${port} gone after SIGKILL`);
      children.delete(handle);
    },
    stop: async () => { await stop(proc, 2000, false); children.delete(handle); },
  };
}

function topologyDir(shape) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `goingaway-redis-bench-${shape}-`));
  tempDirs.add(root);
  return root;
}

function topologyStop(root, nodes) {
  return async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    if (process.env.BENCH_KEEP) console.log(`  kept ${root}`); else fs.rmSync(root, { recursive: true, force: true });
    tempDirs.delete(root);
  };
}

const DATA_ARGS = (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
  // 7.0 waits 5 s by default before a diskless full sync, in case more replicas come
  '--repl-diskless-sync-delay', '0'];

async function startSingle() {
  const root = topologyDir('single');
  const [port] = await distinctPorts(1);
  const node = await startNode(path.join(root, 'redis-' + port), port, DATA_ARGS(port, path.join(root, 'redis-' + port)), 'redis');
  return {
    shape: 'single', env: { REDIS_URL: 'redis://127.0.0.1:' + port }, describe: `one node 127.0.0.1:${port}`,
    stop: topologyStop(root, [node]),
  };
}

// A primary, one replica and three sentinels (quorum 2), as RedisSentinelSetup.
async function startSentinel() {
  const root = topologyDir('sentinel');
  const nodes = [];
  const stopAll = topologyStop(root, nodes);
  try {
    const [p0, p1, ...sp] = await distinctPorts(5);
    const dataDir = (p) => path.join(root, 'redis-' + p);
    const primary = await startNode(dataDir(p0), p0, DATA_ARGS(p0, dataDir(p0)), 'primary');
    nodes.push(primary);
    const replica = await startNode(dataDir(p1), p1, [...DATA_ARGS(p1, dataDir(p1)), '--replicaof', '127.0.0.1', String(p0)], 'replica');
    nodes.push(replica);
    const sentinels = [];
    for (const port of sp) {
      const dir = path.join(root, 'sentinel-' + port);
      fs.mkdirSync(dir, { recursive: true });
      // Each sentinel rewrites its own file (its id, the replicas and sentinels it discovered).
      const conf = path.join(dir, 'sentinel.conf');
      fs.writeFileSync(conf, [
        'port ' + port, 'bind 127.0.0.1', 'dir ' + dir,
        'sentinel resolve-hostnames no', 'sentinel announce-ip 127.0.0.1',
        `sentinel monitor ${MASTER} 127.0.0.1 ${p0} 2`,
        `sentinel down-after-milliseconds ${MASTER} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${MASTER} 3000`,
        `sentinel parallel-syncs ${MASTER} 1`, ''].join('\n'));
      const s = await startNode(dir, port, [conf, '--sentinel'], 'sentinel');
      nodes.push(s); sentinels.push(s);
    }
    await until(`replica ${p1} in sync with its primary`, SETTLE_MS,
      async () => field(await ask(p1, 'INFO', 'replication'), 'master_link_status') === 'up');
    const knowsReplica = async (s, replicaPort, primaryPort) => {
      const rs = await ask(s.port, 'SENTINEL', 'REPLICAS', MASTER);
      return Array.isArray(rs) && rs.map(asMap).some((r) => r.port === String(replicaPort) && r.flags === 'slave'
        && r['master-link-status'] === 'ok' && r['master-port'] === String(primaryPort));
    };
    await until('every sentinel knows the primary, the replica and the two other sentinels', SETTLE_MS, async () => {
      for (const s of sentinels) {
        if (!(await knowsReplica(s, p1, p0))) return false;
        const m = await ask(s.port, 'SENTINEL', 'MASTER', MASTER);
        if (!Array.isArray(m) || asMap(m)['num-other-sentinels'] !== '2') return false;
      }
      return true;
    }, 100);
    const named = async (s) => {
      const a = await ask(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER);
      return Array.isArray(a) && a.length === 2 ? Number(a[1]) : null;
    };
    const dataNodes = [primary, replica];
    return {
      shape: 'sentinel',
      env: { REDIS_SENTINEL_NODES: sp.map((p) => '127.0.0.1:' + p).join(','), REDIS_SENTINEL_MASTER: MASTER },
      describe: `primary 127.0.0.1:${p0}, replica 127.0.0.1:${p1}, sentinels ${sp.map((p) => '127.0.0.1:' + p).join(',')}`,
      stop: stopAll,
      // The primary as the first answering sentinel names it (the key does not matter here).
      primaryOf: async () => {
        for (const s of sentinels) { const p = await named(s); if (p) return p; }
        throw new Error('no sentinel names a primary for ' + MASTER);
      },
      node: (port) => dataNodes.find((n) => n.port === port),
      // Every sentinel names the same primary other than `old`, and it answers ROLE master: its port, or null.
      failedOver: async (key, old) => {
        const ports = new Set();
        for (const s of sentinels) ports.add(await named(s));
        if (ports.size !== 1) return null;
        const p = [...ports][0];
        return p && p !== old && (await isMaster(p)) ? p : null;
      },
    };
  } catch (e) { await stopAll(); throw e; }
}

// CLUSTER NODES: every node of the cluster in the table, none in handshake, unreachable or failed.
function knowsAll(text, total) {
  const lines = typeof text === 'string' ? text.trim().split('\n') : [];
  return lines.length === total && lines.every((l) => {
    const f = l.split(' ');
    return !/handshake|noaddr|fail/.test(f[2]) && f[7] === 'connected';
  });
}

// {slot ranges, master port (online) or null} of every shard, as the node on `port` sees them.
async function shards(port) {
  const r = await ask(port, 'CLUSTER', 'SHARDS');
  if (!Array.isArray(r)) return null;
  return r.map((flat) => {
    const s = asMap(flat);
    const ranges = [];
    for (let i = 0; i + 1 < (s.slots || []).length; i += 2) ranges.push([s.slots[i], s.slots[i + 1]]);
    const master = (s.nodes || []).map(asMap).find((n) => n.role === 'master' && n.health === 'online');
    return { ranges, master: master ? Number(master.port) : null };
  });
}
// The master (online) serving `slot` as the node on `port` sees it, or null.
async function servingAsSeenBy(port, slot) {
  const ss = await shards(port);
  const s = ss && ss.find((x) => x.ranges.some(([a, b]) => a <= slot && slot <= b));
  return s ? s.master : null;
}

// Three primaries splitting the slots evenly, a replica each, joined with CLUSTER commands, as
// RedisClusterSetup.
async function startCluster() {
  const root = topologyDir('cluster');
  const nodes = [];
  const stopAll = topologyStop(root, nodes);
  try {
    const total = CLUSTER_PRIMARIES * 2;
    // Each node gets its cluster bus port picked free too: the default, port + 10000, can be
    // taken or fall into the ephemeral range.
    const ports = await distinctPorts(2 * total);
    const bus = ports.slice(total);
    for (let i = 0; i < total; i++) {
      const p = ports[i];
      const dir = path.join(root, 'node-' + p);
      nodes.push(await startNode(dir, p, [...DATA_ARGS(p, dir), '--cluster-port', String(bus[i]), '--cluster-enabled', 'yes',
        '--cluster-node-timeout', String(DOWN_AFTER_MS), '--cluster-config-file', path.join(dir, 'nodes.conf')], 'cluster node'));
    }
    // Distinct epochs before the nodes meet, as redis-cli does: no collisions to resolve.
    for (let i = 0; i < total; i++) await redis(nodes[i].port, 'CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
    for (let i = 0; i < CLUSTER_PRIMARIES; i++) {
      await redis(nodes[i].port, 'CLUSTER', 'ADDSLOTSRANGE', Math.floor(i * SLOTS / CLUSTER_PRIMARIES), Math.floor((i + 1) * SLOTS / CLUSTER_PRIMARIES) - 1);
    }
    // The bus port must be given: without it the meeting node assumes port + 10000.
    for (let i = 1; i < total; i++) await redis(nodes[0].port, 'CLUSTER', 'MEET', '127.0.0.1', nodes[i].port, bus[i]);
    await until(`every cluster node knows all ${total} nodes`, SETTLE_MS,
      async () => (await Promise.all(nodes.map(async (n) => knowsAll(await ask(n.port, 'CLUSTER', 'NODES'), total)))).every(Boolean), 100);
    const primaryIds = [];
    for (let i = 0; i < CLUSTER_PRIMARIES; i++) primaryIds.push(await redis(nodes[i].port, 'CLUSTER', 'MYID'));
    for (let r = 0; r < CLUSTER_PRIMARIES; r++) {
      const replica = nodes[CLUSTER_PRIMARIES + r];
      await until(`replica ${replica.port} knows primary ${primaryIds[r]}`, SETTLE_MS,
        async () => String(await ask(replica.port, 'CLUSTER', 'NODES')).includes(primaryIds[r]), 100);
      await redis(replica.port, 'CLUSTER', 'REPLICATE', primaryIds[r]);
    }
    for (const replica of nodes.slice(CLUSTER_PRIMARIES)) {
      await until(`replica ${replica.port} in sync with its primary`, SETTLE_MS,
        async () => field(await ask(replica.port, 'INFO', 'replication'), 'master_link_status') === 'up', 100);
    }
    await until(`every node says cluster_state:ok and sees all ${CLUSTER_PRIMARIES} replicas`, SETTLE_MS, async () => {
      for (const n of nodes) {
        if (field(await ask(n.port, 'CLUSTER', 'INFO'), 'cluster_state') !== 'ok') return false;
        const text = await ask(n.port, 'CLUSTER', 'NODES');
        if (typeof text !== 'string' || text.trim().split('\n').filter((l) => l.split(' ')[2].includes('slave')).length !== CLUSTER_PRIMARIES) return false;
      }
      return true;
    }, 100);
    const live = () => { const n = nodes.find((x) => x.alive()); if (!n) throw new Error('no cluster node is running'); return n; };
    const keySlot = (key) => redis(live().port, 'CLUSTER', 'KEYSLOT', key);
    return {
      shape: 'cluster',
      env: { REDIS_CLUSTER_NODES: nodes.map((n) => '127.0.0.1:' + n.port).join(',') },
      describe: `${CLUSTER_PRIMARIES} primaries ${nodes.slice(0, CLUSTER_PRIMARIES).map((n) => n.port).join(',')}, `
        + `replicas ${nodes.slice(CLUSTER_PRIMARIES).map((n) => n.port).join(',')} on 127.0.0.1`,
      stop: stopAll,
      keySlot,
      // The master serving `key`'s slot, as a running node sees it (CLUSTER KEYSLOT, CLUSTER SHARDS).
      primaryOf: async (key) => {
        const slot = await keySlot(key);
        const p = await servingAsSeenBy(live().port, slot);
        if (!p) throw new Error(`no master that is up serves slot ${slot} of ${key}`);
        return p;
      },
      node: (port) => nodes.find((n) => n.port === port),
      // Every running node says cluster_state:ok and sees `key`'s slot served by the same master
      // other than `old`, and that one answers ROLE master: its port, or null.
      failedOver: async (key, old, slot) => {
        const seen = new Set();
        for (const n of nodes) {
          if (!n.alive()) continue;
          if (field(await ask(n.port, 'CLUSTER', 'INFO'), 'cluster_state') !== 'ok') return null;
          seen.add(await servingAsSeenBy(n.port, slot));
        }
        if (seen.size !== 1) return null;
        const p = [...seen][0];
        return p && p !== old && (await isMaster(p)) ? p : null;
      },
    };
  } catch (e) { await stopAll(); throw e; }
}

const startTopology = { single: startSingle, sentinel: startSentinel, cluster: startCluster };

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

// ---- worker threads (the throughput phase) -------------------------------------------------------

// One worker thread's share of the clients. Commands come from the main thread:
//   {cmd:'connect', clients:[{index, room, query, roomSize}]} → {connected, streams}
//   {cmd:'throughput', start, warmEnd, end}                    → {throughput} (the clients then close)
// A client that fails before its welcome is reported as {error}.
function clientWorker({ port, concurrency, id }) {
  let clients = [];
  const url = (q) => 'ws://127.0.0.1:' + port + '/ws/chat?' + q;
  const fail = (msg) => parentPort.postMessage({ error: `worker ${id}: ${msg}` });

  function openAll(specs, done) {
    clients = specs.map((s) => Object.assign({
      ws: null, session: null, welcome: false, received: 0, errors: 0, inflight: new Map(), seq: 0,
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
          if (!(f.streams && f.streams.room)) streams = false;
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

  parentPort.on('message', (m) => {
    try {
      if (m.cmd === 'connect') openAll(m.clients, (streams) => parentPort.postMessage({ connected: clients.length, streams }));
      else if (m.cmd === 'throughput') throughput(m);
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
const maxOf = (xs) => (xs.length ? xs.reduce((a, b) => Math.max(a, b), -Infinity) : NaN);
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

// The failover phase's rooms: [{name, affected}]. Sentinel: 10 rooms, all behind the one primary.
// Cluster: FO_AFFECTED_ROOMS rooms whose streams' slots the primary of the first one serves (it is
// the one killed), the rest on other primaries.
async function failoverRooms(topo) {
  const rooms = Math.ceil(FO_CLIENTS / 4);
  if (topo.shape !== 'cluster') return Array.from({ length: rooms }, (_, k) => ({ name: 'fo' + k, affected: true }));
  const victim = await topo.primaryOf(streamMeta('fo0'));
  const out = [];
  let affected = 0; let bystanders = 0;
  for (let k = 0; out.length < rooms; k++) {
    if (k > 10000) throw new Error('cannot find rooms for the failover phase');
    const name = 'fo' + k;
    const onVictim = (await topo.primaryOf(streamMeta(name))) === victim;
    if (onVictim && affected < FO_AFFECTED_ROOMS) { affected++; out.push({ name, affected: true }); } else if (!onVictim && bystanders < rooms - FO_AFFECTED_ROOMS) { bystanders++; out.push({ name, affected: false }); }
  }
  return out;
}

// One failover client, on the main thread: sends a message every FO_EVERY_MS once started,
// whatever came back; records every answer, reset and room message with its time.
function openMember(port, room, affected, index) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket('ws://127.0.0.1:' + port + '/ws/chat?room=' + room);
    const m = {
      ws, room, affected, index, welcomed: false, epoch: null, at: 0, preKill: null, toldNew: null, closed: null,
      sent: new Map(), // id → send time, until answered
      msgs: [], // {sent, answered, type, code} of every message sent
      resets: [], // {t, epoch, offset}
      problems: [], seen: new Set(), seq: 0, timer: null,
    };
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`timed out: welcome in room ${room}`)); }, 20000);
    ws.on('message', (data) => {
      const t = now();
      const fr = JSON.parse(data);
      if (fr.type === 'welcome') {
        clearTimeout(timer);
        m.welcomed = true;
        const r = fr.streams && fr.streams.room;
        if (!r) { reject(new Error('the welcome has no streams: a WAR without numbered streams cannot show a failover')); return; }
        m.epoch = r.epoch; m.at = r.offset;
        resolve(m);
      } else if (fr.type === 'ack' || fr.type === 'error') {
        const rec = m.sent.get(fr.id);
        if (!rec) return;
        m.sent.delete(fr.id);
        rec.answered = t; rec.type = fr.type; rec.code = fr.code;
      } else if (fr.type === 'reset') {
        if (fr.stream !== 'room') return;
        m.resets.push({ t, epoch: fr.epoch, offset: fr.offset });
        m.epoch = fr.epoch; m.at = fr.offset;
        if (m.preKill !== null && m.toldNew === null && !fr.epoch.startsWith('L') && fr.epoch !== m.preKill) m.toldNew = t;
      } else if (fr.type === 'message') {
        if (fr.offset !== m.at + 1) m.problems.push(`epoch ${m.epoch}: offset ${fr.offset} after ${m.at} without a reset`);
        m.at = fr.offset;
        if (m.seen.has(fr.text)) m.problems.push(`'${fr.text}' twice`);
        m.seen.add(fr.text);
      }
    });
    ws.on('error', (e) => { clearTimeout(timer); if (!m.welcomed) reject(new Error(`room ${room}: ${e.message || e}`)); });
    ws.on('close', (code) => { clearTimeout(timer); m.closed = code; if (!m.welcomed) reject(new Error(`room ${room}: closed ${code} before the welcome`)); });
  });
}

function startSending(m, offsetMs) {
  const one = () => {
    if (m.ws.readyState !== WebSocket.OPEN) return;
    const id = `f${m.index}-${m.seq++}`;
    const rec = { sent: now(), answered: NaN, type: null, code: null };
    m.sent.set(id, rec); m.msgs.push(rec);
    m.ws.send(JSON.stringify({ type: 'message', id, text: `failover ${m.room} ${id}` }));
  };
  m.timer = setTimeout(() => { one(); m.timer = setInterval(one, FO_EVERY_MS); }, offsetMs);
}
function stopSending(m) { clearTimeout(m.timer); clearInterval(m.timer); }

// What the members' messages sent in [from, to] got: acks, errors by code, nothing; ack latencies;
// the longest time in [from, to] in which none of them had an ack.
function answersOf(ms, from, to) {
  const recs = ms.flatMap((m) => m.msgs.filter((r) => r.sent >= from && r.sent <= to));
  const acks = recs.filter((r) => r.type === 'ack');
  const codes = {};
  for (const r of recs) if (r.type === 'error') codes[r.code] = (codes[r.code] || 0) + 1;
  const lat = acks.map((r) => r.answered - r.sent);
  const ackTimes = ms.flatMap((m) => m.msgs.filter((r) => r.type === 'ack').map((r) => r.answered)).filter((t) => t >= from && t <= to).sort((a, b) => a - b);
  let gap = 0; let prev = from;
  for (const t of ackTimes) { gap = Math.max(gap, t - prev); prev = t; }
  gap = Math.max(gap, to - prev);
  return {
    sent: recs.length, acked: acks.length, errors: recs.filter((r) => r.type === 'error').length,
    codes: Object.entries(codes).map(([k, v]) => `${k} ${v}`).join(', '),
    unanswered: recs.filter((r) => r.type === null).length,
    p50: pct(lat, 0.5), p99: pct(lat, 0.99), max: maxOf(lat), noAckMs: gap,
  };
}

async function failoverPhase(server, topo) {
  const plan = await failoverRooms(topo);
  const key = streamMeta(plan[0].name);
  const slot = topo.keySlot ? await topo.keySlot(key) : null;
  const members = [];
  try {
    const opened = await Promise.all(plan.flatMap((r, k) => [0, 1, 2, 3].map((j) => openMember(server.port, r.name, r.affected, 4 * k + j))));
    members.push(...opened);
    members.forEach((m, i) => startSending(m, (FO_EVERY_MS * i) / members.length));
    await until(`failover: every client has had ${FO_ACKS_BEFORE} acks`, 30000,
      () => members.every((m) => m.msgs.filter((r) => r.type === 'ack').length >= FO_ACKS_BEFORE), 20);
    const victim = await topo.primaryOf(key);
    const node = topo.node(victim);
    if (!node) throw new Error(`the primary of ${key} is 127.0.0.1:${victim}, not a node of this topology`);
    for (const m of members) m.preKill = m.epoch;
    const epochsBefore = [...new Set(members.map((m) => m.preKill))];
    const localBefore = epochsBefore.filter((e) => e.startsWith('L'));

    const tKill = now();
    await node.kill();
    const affected = members.filter((m) => m.affected);
    // (a) the Redis side, polled
    let promoted = null; let aAt = NaN; let aError = null;
    const aDone = until(`${topo.shape}: a new primary for ${key}`, FO_LIMIT_MS, async () => {
      promoted = await topo.failedOver(key, victim, slot);
      if (promoted) aAt = now();
      return promoted !== null;
    }, FO_POLL_MS).catch((e) => { aError = e.message; });
    // (b) every member of the affected rooms told of a new primary's epoch
    let bAt = NaN; let bError = null;
    await until('every member of the rooms on the killed primary told of a new epoch', FO_LIMIT_MS,
      () => affected.every((m) => m.toldNew !== null), 10)
      .then(() => { bAt = maxOf(affected.map((m) => m.toldNew)); }, (e) => { bError = e.message; });
    const tStop = now();
    for (const m of members) stopSending(m);
    // (c) answers to what was sent from the kill until (b), awaited until 5 s after (b)
    await until('answers', FO_ANSWERS_MS, () => members.every((m) => m.sent.size === 0), 20).catch(() => { /* counted as unanswered */ });
    await aDone;
    const c = answersOf(affected, tKill, tStop);
    const by = answersOf(members.filter((m) => !m.affected), tKill, tStop);
    const resetsAfter = (ms) => ms.flatMap((m) => m.resets.filter((r) => r.t >= tKill));
    const roomsLocal = new Set(affected.filter((m) => m.resets.some((r) => r.t >= tKill && r.epoch.startsWith('L'))).map((m) => m.room)).size;
    const epochsAfter = [...new Set(affected.map((m) => m.epoch))];
    // Bystanders (cluster): where their rooms' numbering is now, against where it was.
    const bystanders = members.filter((m) => !m.affected);
    const byEpochs = bystanders.length ? {
      same: new Set(bystanders.filter((m) => m.epoch === m.preKill).map((m) => m.room)).size,
      local: new Set(bystanders.filter((m) => m.epoch.startsWith('L')).map((m) => m.room)).size,
      other: new Set(bystanders.filter((m) => m.epoch !== m.preKill && !m.epoch.startsWith('L')).map((m) => m.room)).size,
    } : null;
    const problems = members.flatMap((m) => m.problems.map((p) => `${m.room}: ${p}`));
    return {
      rooms: plan.length, affectedRooms: plan.filter((r) => r.affected).length, clients: members.length,
      victim, promoted, slot, epochsBefore, localBefore,
      aMs: aAt - tKill, aError, bMs: bAt - tKill, bError,
      lateRooms: bError ? [...new Set(affected.filter((m) => m.toldNew === null).map((m) => `${m.room} (last told ${m.epoch})`))] : [],
      c, by, resets: resetsAfter(affected).length, localResets: resetsAfter(affected).filter((r) => r.epoch.startsWith('L')).length,
      byResets: resetsAfter(bystanders).length, byLocalResets: resetsAfter(bystanders).filter((r) => r.epoch.startsWith('L')).length, byEpochs,
      roomsLocal, epochsAfter, problems,
      closed: members.filter((m) => m.closed !== null).length,
    };
  } finally {
    for (const m of members) stopSending(m);
    await Promise.all(members.map((m) => new Promise((r) => {
      if (m.ws.readyState === WebSocket.CLOSED) { r(); return; }
      const t = setTimeout(() => { m.ws.terminate(); r(); }, 5000);
      m.ws.once('close', () => { clearTimeout(t); r(); });
      m.ws.close(1000, 'done');
    })));
  }
}

// ---- main ----------------------------------------------------------------------------------------

(async () => {
  let java = 'java: ?';
  try { java = execFileSync('sh', ['-c', 'java -version 2>&1 | head -1']).toString().trim(); } catch (e) { /* keep */ }
  console.log(`redis shapes benchmark, ${new Date().toISOString()}`);
  console.log(`machine: nproc ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${java}`);
  console.log(`WAR: ${warFile} (${fs.statSync(warFile).size} bytes, ${fs.statSync(warFile).mtime.toISOString()})`);
  let redisVersion = '?';
  try { redisVersion = execFileSync(redisBin, ['--version']).toString().trim(); } catch (e) { /* keep */ }
  console.log(`redis: ${redisBin} (${redisVersion})`);
  console.log(`rounds ${opt.rounds} × ${opt.shapes.join(', ')}; throughput ${opt.clients} clients × window ${WINDOW}, ${WARM_UP_MS / 1000} s warm-up + ${opt.seconds} s; `
    + `failover ${FO_CLIENTS} clients (rooms of 4) each sending every ${FO_EVERY_MS} ms, SIGKILL of the primary; `
    + `sentinel down-after ${DOWN_AFTER_MS} ms, cluster-node-timeout ${DOWN_AFTER_MS} ms; ${opt.clientThreads} client threads, RATE_LIMIT=100000\n`);

  const results = Object.fromEntries(opt.shapes.map((s) => [s, []]));
  for (let round = 1; round <= opt.rounds; round++) {
    for (const shape of opt.shapes) {
      const tag = `round ${round} ${shape}`;
      const tr = Date.now();
      const topo = await startTopology[shape]();
      let server = null;
      try {
        const topoMs = Date.now() - tr;
        server = await startServer(shape, topo.env);
        console.log(`${tag}: redis ${topo.describe} ready in ${f(topoMs / 1000)} s; server ready in ${f(server.readyMs / 1000)} s`);
        const row = { throughput: null, failover: null };
        results[shape].push(row);

        const t = row.throughput = await throughputPhase(server);
        console.log(`${tag} throughput: ${int(t.acksPerSec)} acks/s, ack latency p50 ${f(t.p50)} ms p99 ${f(t.p99)} ms max ${f(t.max)} ms `
          + `(${int(t.samples)} samples); room messages per client min ${int(t.minReceived)} median ${int(t.medReceived)}, `
          + `fan-out ${f(100 * t.fanout)}% of acked × room size; unacked ${t.lost}, errors ${t.errors}${t.minReceived > 0 ? '' : '  <-- a client received no room message'}`);
        await untilNoSessions(server.port, 'after the throughput phase');

        if (shape !== 'single') {
          const x = row.failover = await failoverPhase(server, topo);
          const c = x.c;
          const on = shape === 'cluster' ? `serving slot ${x.slot}, ${x.affectedRooms} of the ${x.rooms} rooms` : `all ${x.rooms} rooms`;
          console.log(`${tag} failover: primary 127.0.0.1:${x.victim} (${on}) SIGKILLed under ${x.clients} clients; `
            + `(a) ${x.aError ? x.aError : `127.0.0.1:${x.promoted} primary (every ${shape === 'cluster' ? 'running node' : 'sentinel'} agrees, ROLE master) after ${int(x.aMs)} ms`}; `
            + `(b) ${x.bError ? `${x.bError}: ${x.lateRooms.slice(0, 4).join(', ')}` : `writes flowing again after ${int(x.bMs)} ms`} `
            + `(${x.epochsBefore.length} room epochs before, e.g. ${x.epochsBefore[0]}, → ${x.epochsAfter.length} after, e.g. ${x.epochsAfter[0]}; `
            + `${x.roomsLocal}/${x.affectedRooms} rooms went through a local epoch; resets ${x.resets}, to local epochs ${x.localResets}); `
            + `(c) of ${c.sent} messages sent from the kill to (b): acked ${c.acked}, errors ${c.errors}${c.codes ? ` (${c.codes})` : ''}, unanswered ${c.unanswered} `
            + `${f(FO_ANSWERS_MS / 1000, 0)} s after (b); ack latency p50 ${f(c.p50)} ms p99 ${f(c.p99)} ms max ${f(c.max)} ms; longest time without any ack ${int(c.noAckMs)} ms; `
            + `offsets skipped or repeated without a reset ${x.problems.length}${x.problems.length ? ' (' + x.problems.slice(0, 3).join('; ') + ')' : ''}`
            + `${x.closed ? `; ${x.closed} clients closed by the server` : ''}${x.localBefore.length ? `; local epoch before the kill: ${x.localBefore.join(',')}` : ''}`);
          if (shape === 'cluster') {
            const b = x.by;
            console.log(`${tag} failover bystanders (${x.rooms - x.affectedRooms} rooms on other primaries): of ${b.sent} messages acked ${b.acked}, errors ${b.errors}${b.codes ? ` (${b.codes})` : ''}, `
              + `unanswered ${b.unanswered}; ack latency p50 ${f(b.p50)} ms p99 ${f(b.p99)} ms max ${f(b.max)} ms; longest time without any ack ${int(b.noAckMs)} ms; `
              + `resets ${x.byResets} (to local epochs ${x.byLocalResets}); rooms now in their epoch from before ${x.byEpochs.same}, in a local one ${x.byEpochs.local}, in another ${x.byEpochs.other}`);
          }
          await untilNoSessions(server.port, 'after the failover phase');
        }
        console.log(`${tag} server reports: ${await serverNotes(server)}`);
      } finally {
        const ts = Date.now();
        if (server) await server.stop();
        await topo.stop();
        console.log(`${tag} stopped in ${f((Date.now() - ts) / 1000)} s; run took ${f((Date.now() - tr) / 1000)} s`);
      }
    }
  }

  console.log('\nSummary (median over rounds):');
  console.log('| shape | acks/s | ack p99 (ms) | failover: new primary (ms) | writes flowing again (ms) | acked / sent during it | max ack latency in it (ms) | longest time without an ack (ms) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  const med = {};
  for (const s of opt.shapes) {
    const rows = results[s];
    const fo = rows.map((r) => r.failover).filter(Boolean);
    med[s] = {
      acks: median(rows.map((r) => r.throughput.acksPerSec)),
      p99: median(rows.map((r) => r.throughput.p99)),
      a: median(fo.map((x) => x.aMs)), b: median(fo.map((x) => x.bMs)),
      acked: median(fo.map((x) => x.c.acked)), sent: median(fo.map((x) => x.c.sent)),
      maxLat: median(fo.map((x) => x.c.max)), noAck: median(fo.map((x) => x.c.noAckMs)),
    };
    const x = med[s];
    const fs2 = fo.length ? [int(x.a), int(x.b), `${int(x.acked)} / ${int(x.sent)}`, f(x.maxLat), int(x.noAck)] : ['-', '-', '-', '-', '-'];
    console.log(`| ${s} | ${int(x.acks)} | ${f(x.p99)} | ${fs2.join(' | ')} |`);
  }
  if (med.single) {
    for (const s of ['sentinel', 'cluster'].filter((x) => med[x])) {
      console.log(`${s}/single acks/s ${f(med[s].acks / med.single.acks, 2)}×, ack p99 ${f(med[s].p99 / med.single.p99, 2)}×`);
    }
  }
})().catch((e) => { console.error('\nFAILED: ' + (e.stack || e)); process.exitCode = 1; })
  .finally(() => { cleanUpNow(); children.clear(); });
