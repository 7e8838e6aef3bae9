// SIGTERM benchmark: starts the real server as a child process, holds N idle WebSocket
// connections, measures heap per idle connection, sends SIGTERM and times the goodbye.
// Usage: node shutdown-bench.js <wlpHome> <war> <serverConfigDir> <redisBinary> <sizes...> [--runs 3] [--client-threads 2]
// The clients are spread over worker threads (default 2) so that one busy event loop does not
// delay what the clients see; the process exit is stamped by a shell around the JVM, not by
// this (busy) process noticing it.
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

if (!isMainThread) {
  clientWorker(workerData);
  return;
}

const [wlp, war, configDir, redisBin, ...rest] = process.argv.slice(2);
let runs = 3;
let clientThreads = 2;
const warmups = +(process.env.BENCH_WARMUP || 0);
const sizes = [];
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--runs') { runs = +rest[++i]; } else if (rest[i] === '--client-threads') { clientThreads = +rest[++i]; } else { sizes.push(+rest[i]); }
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function get(port, p) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, timeout: 2000 }, (res) => {
      let body = ''; res.on('data', (d) => body += d); res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', () => resolve({ status: -1, body: '' }));
    req.on('timeout', () => { req.destroy(); resolve({ status: -1, body: '' }); });
  });
}

async function until(what, ms, fn) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out: ' + what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// NaN when the server is not a JVM (the Node reference in scripts/bench/node-reference).
function heapUsedBytes(pid) {
  // jcmd signals its target with SIGQUIT, which would kill a process that is not a JVM.
  if (fs.readFileSync('/proc/' + pid + '/comm', 'utf8').trim() !== 'java') return NaN;
  let info;
  try {
    execFileSync('jcmd', [String(pid), 'GC.run'], { stdio: 'pipe' });
    info = execFileSync('jcmd', [String(pid), 'GC.heap_info'], { stdio: 'pipe' }).toString();
  } catch (e) {
    return NaN;
  }
  const m = info.match(/used (\d+)K/);
  return m ? +m[1] * 1024 : NaN;
}

async function startRedis() {
  const port = await freePort();
  const p = spawn(redisBin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' });
  await until('redis up', 10000, () => new Promise((res) => {
    const c = net.connect(port, '127.0.0.1', () => { c.end(); res(true); }); c.on('error', () => res(false));
  }));
  return { port, proc: p };
}

async function startServer(redisPort) {
  const name = 'bench-' + Math.random().toString(16).slice(2, 8);
  const usr = fs.mkdtempSync(path.join(os.tmpdir(), 'goingaway-bench-'));
  const dir = path.join(usr, 'servers', name);
  fs.mkdirSync(path.join(dir, 'dropins'), { recursive: true });
  for (const f of fs.readdirSync(configDir)) fs.copyFileSync(path.join(configDir, f), path.join(dir, f));
  fs.copyFileSync(war, path.join(dir, 'dropins', 'goingaway.war'));
  const port = await freePort();
  const env = Object.assign({}, process.env, {
    WLP_USER_DIR: usr, HTTP_PORT: String(port), HTTPS_PORT: String(await freePort()),
    REDIS_URL: 'redis://127.0.0.1:' + redisPort, INSTANCE_ID: name,
  });
  const out = fs.openSync(path.join(usr, 'console.log'), 'w');
  // `server run` execs the JVM; the shell around it writes the exit time (epoch ms) the moment it ends.
  const stamp = path.join(usr, 'exit-ms');
  const shell = spawn('sh', ['-c', '"$0" run "$1"; date +%s%3N > "$2"', path.join(wlp, 'bin', 'server'), name, stamp],
    { env, stdio: ['ignore', out, out] });
  await until('server ready', 120000, async () => (await get(port, '/health/ready')).status === 200);
  const jvm = +execFileSync('pgrep', ['-P', String(shell.pid)]).toString().trim().split('\n')[0];
  const exited = () => (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() ? +fs.readFileSync(stamp, 'utf8') : null);
  return { port, pid: jvm, usr, name, exited };
}

// One worker thread's share of the clients: connect, report 'ready', then record when each
// got its bye, its close frame and its TCP close; report them all once every one has closed.
function clientWorker({ port, n, first }) {
  const clients = [];
  let opened = 0; let started = 0; let closed = 0; const concurrency = 128;
  const next = () => {
    if (started >= n) return;
    const c = { byeAt: null, closeFrameAt: null, closeAt: null, code: null, bye: false };
    const ws = new WebSocket('ws://127.0.0.1:' + port + '/ws/chat?room=bench' + ((first + started) % 100));
    started++;
    clients.push(c);
    ws.on('message', (data) => {
      const f = JSON.parse(data);
      if (f.type === 'welcome') {
        // ws has no event for the close frame itself ('close' waits for the TCP close): its receiver does.
        ws._receiver.once('conclude', () => { c.closeFrameAt = now(); });
        opened++; if (opened === n) parentPort.postMessage({ ready: true }); next();
      } else if (f.type === 'bye') { c.bye = f.bye === true; c.byeAt = now(); }
    });
    ws.on('close', (code) => {
      c.closeAt = now(); c.code = code;
      if (++closed === n) parentPort.postMessage({ clients });
    });
    ws.on('error', (e) => { if (opened < n) parentPort.postMessage({ error: String(e) }); });
  };
  for (let i = 0; i < Math.min(concurrency, n); i++) next();
}

// Connects n clients over the worker threads; resolves with a function that waits for their records.
async function connect(port, n) {
  const workers = [];
  const ready = [];
  const done = [];
  for (let w = 0; w < clientThreads; w++) {
    const share = Math.floor(n / clientThreads) + (w < n % clientThreads ? 1 : 0);
    const worker = new Worker(__filename, { workerData: { port, n: share, first: w * share } });
    workers.push(worker);
    ready.push(new Promise((res, rej) => worker.on('message', (m) => { if (m.ready) res(); else if (m.error) rej(new Error(m.error)); })));
    done.push(new Promise((res) => worker.on('message', (m) => { if (m.clients) res(m.clients); })));
  }
  await Promise.all(ready);
  return {
    all: async (ms) => {
      const timeout = new Promise((_, rej) => setTimeout(() => rej(new Error('timed out: all clients closed')), ms));
      try { return (await Promise.race([Promise.all(done), timeout])).flat(); } finally { workers.forEach((w) => w.terminate()); }
    },
  };
}

// BENCH_WARMUP=N: before the measured clients, N short-lived ones connect, take their welcome and
// close (1000), 64 at a time, so the connection and close paths are JIT-compiled as on a server
// that has been up for a while. Off by default: the default runs measure a cold close path.
async function warmUp(port, n) {
  let started = 0; let done = 0;
  await new Promise((resolve, reject) => {
    const next = () => {
      if (started >= n) return;
      started++;
      const ws = new WebSocket('ws://127.0.0.1:' + port + '/ws/chat?room=warmup' + (started % 100));
      ws.on('message', () => ws.close(1000, 'warm-up'));
      ws.on('close', () => { if (++done === n) resolve(); else next(); });
      ws.on('error', (e) => reject(e));
    };
    for (let i = 0; i < Math.min(64, n); i++) next();
  });
}

// The drain's own report (GracefulShutdown stores it in Redis): the server-side view of the same run.
function lastReport(port) {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => c.write('GET goingaway:shutdown:last\r\n'));
    let buf = '';
    c.on('data', (d) => {
      buf += d;
      const m = buf.match(/^\$(-?\d+)\r\n/);
      if (m && (+m[1] < 0 || buf.length >= m[0].length + +m[1])) {
        c.end();
        resolve(+m[1] < 0 ? null : JSON.parse(buf.substr(m[0].length, +m[1])));
      }
    });
    c.on('error', () => resolve(null));
  });
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

(async () => {
  const redis = await startRedis();
  console.log('| clients | run | SIGTERM → all byes (ms) | → all close frames (ms) | → all closed (ms) | → process exit (ms) | bye + 1001 | heap per idle connection | server\'s own report (ms after SIGTERM) |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  const summary = {};
  try {
    for (const n of sizes) {
      for (let r = 1; r <= runs; r++) {
        const server = await startServer(redis.port);
        if (warmups > 0) await warmUp(server.port, warmups);
        const heap0 = heapUsedBytes(server.pid);
        const connected = await connect(server.port, n);
        const heapN = heapUsedBytes(server.pid);
        const t0 = now();
        process.kill(server.pid, 'SIGTERM');
        const clients = await connected.all(15000);
        await until('server exit', 20000, () => server.exited() !== null);
        const exitMs = server.exited() - t0;
        const byes = clients.filter((c) => c.byeAt !== null).map((c) => c.byeAt - t0);
        const closes = clients.map((c) => c.closeAt - t0);
        const closeFrames = clients.filter((c) => c.closeFrameAt !== null).map((c) => c.closeFrameAt - t0);
        const clean = clients.filter((c) => c.bye && c.code === 1001 && c.byeAt <= c.closeFrameAt).length;
        const row = {
          byes: byes.length ? Math.max(...byes) : NaN, closeFrames: closeFrames.length ? Math.max(...closeFrames) : NaN,
          closed: Math.max(...closes), exit: exitMs,
          clean: clean / n, heapPerConn: (heapN - heap0) / n,
        };
        (summary[n] = summary[n] || []).push(row);
        const rep = await lastReport(redis.port);
        const serverView = rep ? `drain ${rep.durationMs} ms, ${rep.cpuMillis} ms CPU (totals saved ${rep.phases.totalsSaved}, last bye ${rep.phases.byesSent}, all closed ${rep.phases.allClosed})` : 'no report';
        console.log(`| ${n} | ${r} | ${row.byes.toFixed(0)} | ${row.closeFrames.toFixed(0)} | ${row.closed.toFixed(0)} | ${row.exit.toFixed(0)} | ${(100 * row.clean).toFixed(1)}% | ${(row.heapPerConn / 1024).toFixed(1)} KiB | ${serverView} |`);
        if (process.env.BENCH_KEEP) console.log(`  kept ${server.usr}`); else fs.rmSync(server.usr, { recursive: true, force: true });
      }
    }
    console.log('\nMedians:');
    for (const n of sizes) {
      const rows = summary[n];
      const med = (k) => pct(rows.map((x) => x[k]), 0.5);
      console.log(`  ${n} clients: all byes ${med('byes').toFixed(0)} ms, all close frames ${med('closeFrames').toFixed(0)} ms, all closed ${med('closed').toFixed(0)} ms, exit ${med('exit').toFixed(0)} ms, clean ${(100 * Math.min(...rows.map((x) => x.clean))).toFixed(1)}% (worst run), heap/conn ${(med('heapPerConn') / 1024).toFixed(1)} KiB`);
    }
  } finally {
    redis.proc.kill('SIGKILL');
  }
})().catch((e) => { console.error(e); process.exit(1); });
