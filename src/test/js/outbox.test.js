import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Outbox, RETRY_AFTER_RECONNECT } from '../../main/webapp/js/outbox.js';

test('every typed message gets its own id, made unique by the page-load prefix', () => {
  const box = new Outbox({ idPrefix: 'ab12cd34' });
  const ids = ['a', 'b', 'c'].map((t) => box.add(t).id);
  assert.deepEqual(ids, ['ab12cd34-1', 'ab12cd34-2', 'ab12cd34-3'], 'prefix plus a counter');
  assert.equal(new Set(ids).size, 3, 'no id repeats');
});

test('the frame carries type, id and text as the server expects', () => {
  const box = new Outbox({ idPrefix: 'p' });
  const entry = box.add('hello "world"');
  assert.deepEqual(JSON.parse(Outbox.frame(entry)), { type: 'message', id: 'p-1', text: 'hello "world"' },
    'DESIGN.md client frame');
});

test('an ack finishes a message; a second ack for the same id finds nothing', () => {
  const box = new Outbox({ idPrefix: 'p' });
  const e = box.add('x');
  box.sent(e.id);
  const done = box.acked(e.id, 7);
  assert.equal(done.state, 'acked', 'state after ack');
  assert.equal(done.total, 7, 'the ack total is kept');
  assert.equal(box.size, 0, 'nothing pending');
  assert.equal(box.acked(e.id, 7), null, 'the ack of a re-send of an acked message is recognised as extra');
});

test('draining means not processed: the message goes back to the queue', () => {
  assert.ok(RETRY_AFTER_RECONNECT.has('draining'), 'draining is retried after reconnecting');
  const box = new Outbox({ idPrefix: 'p' });
  const e = box.add('x');
  box.sent(e.id);
  const { entry, retry } = box.failed(e.id, 'draining', 'server is shutting down');
  assert.equal(retry, true, 'retry after reconnect');
  assert.equal(entry.state, 'queued', 'queued again');
  assert.deepEqual(box.pending().map((p) => p.id), [e.id], 'still pending, same id');
});

test('other errors are final: re-sending would fail the same way', () => {
  const box = new Outbox({ idPrefix: 'p' });
  const e = box.add('x'.repeat(10));
  box.sent(e.id);
  const { entry, retry } = box.failed(e.id, 'too_large', 'text longer than 4000 characters');
  assert.equal(retry, false, 'no retry');
  assert.equal(entry.state, 'failed', 'marked failed');
  assert.equal(entry.code, 'too_large', 'keeps the code to show');
  assert.equal(box.size, 0, 'no longer pending');
});

test('an error without a known id changes nothing', () => {
  const box = new Outbox({ idPrefix: 'p' });
  box.add('x');
  assert.deepEqual(box.failed(null, 'bad_session', 'x'), { entry: null, retry: false }, 'null id');
  assert.deepEqual(box.failed('other-9', 'draining', 'x'), { entry: null, retry: false }, 'unknown id');
  assert.equal(box.size, 1, 'the pending message is untouched');
});

test('messages unanswered when a connection ends are queued again, in typing order', () => {
  const box = new Outbox({ idPrefix: 'p' });
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((t) => box.add(t));
  box.sent(a.id);
  box.sent(b.id);
  box.sent(c.id);
  box.acked(b.id, 1);
  // d was typed while disconnected and never sent
  const requeued = box.requeueUnanswered();
  assert.deepEqual(requeued.map((e) => e.id), [a.id, c.id], 'only what was sent and unanswered');
  assert.ok(box.pending().every((e) => e.state === 'queued'), 'everything pending is queued');
  assert.deepEqual(box.pending().map((e) => e.text), ['a', 'c', 'd'], 'typing order kept for the re-send');
  box.sent(a.id);
  assert.equal(a.sends, 2, 'a re-send is counted on the entry');
  assert.equal(d.sends, 0, 'd not sent yet');
});

test('an id prefix is required so ids never repeat across page loads', () => {
  assert.throws(() => new Outbox({ idPrefix: '' }), RangeError, 'empty prefix');
  assert.throws(() => new Outbox({}), RangeError, 'missing prefix');
});
