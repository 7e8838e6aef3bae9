// The yardstick: a straightforward Node `ws` server with the same shutdown contract
// (welcome on open; on SIGTERM readiness 503, bye then close 1001 to every client, exit once
// every client's close reply has closed its socket, at most 2 s). No store, no chat: it is
// only the floor that the same benchmark clients on the same machine allow.
'use strict';
const http = require('http');
const path = require('path');
const WebSocket = require(path.join(__dirname, '..', 'node_modules', 'ws'));

const port = +process.env.HTTP_PORT || 9080;
let draining = false;
let id = 0;
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/health/ready')) {
    res.writeHead(draining ? 503 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: draining ? 'DOWN' : 'UP' }));
  } else {
    res.writeHead(404); res.end();
  }
});
const wss = new WebSocket.Server({ server, path: '/ws/chat' });
wss.on('connection', (ws) => {
  ws.session = 'n' + (++id);
  ws.send(JSON.stringify({ type: 'welcome', session: ws.session, room: 'bench', total: 0, instance: 'node' }));
});
server.listen(port, () => console.log('listening on ' + port));

process.on('SIGTERM', () => {
  const t0 = process.hrtime.bigint();
  draining = true;
  const ms = () => Number((process.hrtime.bigint() - t0) / 1000000n);
  let open = wss.clients.size;
  const all = open;
  const done = () => {
    console.log(`node_drain connections=${all} left_open=${open} drain_ms=${ms()}`);
    process.exit(143);
  };
  if (open === 0) done();
  for (const ws of wss.clients) {
    ws.on('close', () => { if (--open === 0) done(); });
    ws.send(JSON.stringify({ type: 'bye', bye: true, total: 0, session: ws.session,
      message: 'Server is shutting down gracefully', reconnectAfterMs: 0 }));
    ws.close(1001);
  }
  console.log(`node_byes_sent ms=${ms()}`);
  setTimeout(done, 2000).unref();
});
