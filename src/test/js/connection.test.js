import { test } from 'node:test';
import assert from 'node:assert/strict';

import { sameOriginEndpoint } from '../../main/webapp/js/connection.js';

test('the WebSocket endpoint is the page origin, ws for http and wss for https', () => {
  assert.equal(sameOriginEndpoint({ protocol: 'http:', host: 'chat.example.com:9080' }), 'ws://chat.example.com:9080/ws/chat',
    'plain http page');
  assert.equal(sameOriginEndpoint({ protocol: 'https:', host: 'chat.example.com' }), 'wss://chat.example.com/ws/chat',
    'https page: TLS WebSocket, same host');
  assert.equal(sameOriginEndpoint({ protocol: 'http:', host: '[::1]:9080' }), 'ws://[::1]:9080/ws/chat', 'IPv6 literal');
});
