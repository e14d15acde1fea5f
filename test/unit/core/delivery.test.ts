import { describe, expect, test } from 'vitest';
import { afterOutcome, MAX_ATTEMPTS, retryDelayMs, type DeliveryState } from '../../../core/delivery.js';

const AT = Date.parse('2026-11-23T10:00:00Z');
const pending: DeliveryState = { status: 'pending', attempts: 0 };

describe('afterOutcome', () => {
  test('a row in doubt after a crash, sent again, stays in doubt until an answer settles it; stopped, it is unconfirmed, never cancelled', () => {
    const inDoubt: DeliveryState = { status: 'sending', attempts: 1 };
    expect(afterOutcome(inDoubt, { status: 'sent' }, AT)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(afterOutcome(inDoubt, { status: 'cancelled', reason: 'message cancelled before delivery' }, AT)).toMatchObject({
      status: 'unconfirmed',
      attempts: 1,
    });
    expect(afterOutcome(inDoubt, { status: 'throttled', retryAfterMs: 1000, reason: '429' }, AT)).toMatchObject({
      status: 'sending',
      attempts: 1,
    });
    expect(afterOutcome(inDoubt, { status: 'failed', reason: 'ECONNRESET', permanent: false }, AT)).toMatchObject({
      status: 'sending',
      attempts: 2,
    });
    expect(
      afterOutcome({ ...inDoubt, attempts: MAX_ATTEMPTS - 1 }, { status: 'failed', reason: 'ECONNRESET', permanent: false }, AT),
    ).toMatchObject({
      status: 'failed',
    });
    // A fresh row the sender did not reach before the stop was never sent.
    expect(afterOutcome(pending, { status: 'cancelled', reason: 'message cancelled before delivery' }, AT)).toMatchObject({
      status: 'cancelled',
    });
  });

  test('sent: counted as an attempt, with the time and no reason left over', () => {
    expect(afterOutcome({ ...pending, attempts: 2, reason: 'timeout' }, { status: 'sent' }, AT)).toEqual({
      status: 'sent',
      attempts: 3,
      sentAt: '2026-11-23T10:00:00.000Z',
      reason: '',
    });
  });
  test('a permanent failure is recorded at once', () => {
    expect(afterOutcome(pending, { status: 'failed', reason: 'EmailDroppedAllRecipientsSuppressed', permanent: true }, AT)).toEqual({
      status: 'failed',
      attempts: 1,
      reason: 'EmailDroppedAllRecipientsSuppressed',
    });
  });
  test('a transient failure stays pending until the last attempt, then is recorded as failed with the last reason', () => {
    let d = pending;
    for (let i = 1; i < MAX_ATTEMPTS; i++) {
      d = afterOutcome(d, { status: 'failed', reason: 'ECONNRESET', permanent: false }, AT);
      expect(d).toEqual({ status: 'pending', attempts: i, reason: 'ECONNRESET' });
    }
    expect(afterOutcome(d, { status: 'failed', reason: 'ECONNRESET', permanent: false }, AT)).toEqual({
      status: 'failed',
      attempts: MAX_ATTEMPTS,
      reason: `gave up after ${MAX_ATTEMPTS} attempts: ECONNRESET`,
    });
  });
  test('throttling is not an attempt: the provider did not try', () => {
    expect(afterOutcome({ ...pending, attempts: 1 }, { status: 'throttled', retryAfterMs: 2000, reason: '429' }, AT)).toEqual({
      status: 'throttled',
      attempts: 1,
      reason: '429',
    });
  });
});

test('retries back off exponentially, capped at five minutes', () => {
  expect([1, 2, 3, 4].map(retryDelayMs)).toEqual([2000, 4000, 8000, 16000]);
  expect(retryDelayMs(20)).toBe(300_000);
});
