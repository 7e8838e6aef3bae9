import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Backoff } from '../../main/webapp/js/backoff.js';

/** A random source that returns the given values in turn. */
function sequence(...values) {
  let i = 0;
  return () => values[i++ % values.length];
}

test('the first delay lies between half the base and the base, never zero', () => {
  assert.equal(new Backoff({ baseMs: 500, random: () => 0 }).next(), 250, 'lowest draw is half the base');
  assert.equal(new Backoff({ baseMs: 500, random: () => 1 }).next(), 500, 'highest draw is the base');
  assert.equal(new Backoff({ baseMs: 500, random: () => 0.5 }).next(), 375, 'middle draw');
});

test('the ceiling doubles with every failed attempt until the cap', () => {
  const b = new Backoff({ baseMs: 500, capMs: 30_000, random: () => 1 });
  const delays = Array.from({ length: 10 }, () => b.next());
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000],
    'with the highest draw each delay is its ceiling: doubling, then held at the cap');
  assert.equal(b.attempts, 10, 'every call counts an attempt');
});

test('delays stay within [cap/2, cap] however many attempts fail', () => {
  const b = new Backoff({ baseMs: 500, capMs: 30_000, random: sequence(0, 1, 0.3, 0.999) });
  for (let i = 0; i < 2000; i++) {
    const d = b.next();
    if (i >= 6) {
      assert.ok(d >= 15_000 && d <= 30_000, `attempt ${i}: delay ${d} within [cap/2, cap]`);
    }
    assert.ok(Number.isFinite(d), `attempt ${i}: delay is a finite number, got ${d}`);
  }
});

test('reset starts again from the base after a successful connection', () => {
  const b = new Backoff({ baseMs: 500, capMs: 30_000, random: () => 1 });
  b.next();
  b.next();
  b.next();
  b.reset();
  assert.equal(b.attempts, 0, 'attempts cleared');
  assert.equal(b.next(), 500, 'first delay after reset is the base again');
});

test('delays are jittered: clients that lost the same server do not retry in step', () => {
  const firsts = Array.from({ length: 1000 }, () => new Backoff({ baseMs: 500 }).next());
  const distinct = new Set(firsts).size;
  assert.ok(distinct > 150, `1000 first delays take many values (${distinct} distinct)`);
  assert.ok(Math.min(...firsts) >= 250 && Math.max(...firsts) <= 500, 'all within [base/2, base]');
  const mean = firsts.reduce((a, b) => a + b, 0) / firsts.length;
  assert.ok(mean > 340 && mean < 410, `spread evenly over the window (mean ${mean.toFixed(0)} ms, expected ~375)`);
});

test('a broken random source cannot produce a zero or out-of-range delay', () => {
  assert.equal(new Backoff({ baseMs: 400, random: () => NaN }).next(), 200, 'NaN counts as the lowest draw');
  assert.equal(new Backoff({ baseMs: 400, random: () => -5 }).next(), 200, 'negative clamps to the lowest draw');
  assert.equal(new Backoff({ baseMs: 400, random: () => 7 }).next(), 400, 'above one clamps to the highest draw');
});

test('nonsensical settings are refused', () => {
  assert.throws(() => new Backoff({ baseMs: 0 }), RangeError, 'a zero base would allow a tight loop');
  assert.throws(() => new Backoff({ baseMs: 1000, capMs: 10 }), RangeError, 'a cap below the base');
});
