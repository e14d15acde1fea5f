// The counter store's group commit straight against Azurite: whatever waits for one message goes into as few
// transactions as Azure allows (100 operations: the items, the month rows they touch, the totals).
import { expect, test } from 'vitest';
import { count, expectCount, type CounterItem } from '../../../adapters/stores/counterStore.js';
import { messageId } from '../../../adapters/stores/keys.js';
import { eventContribution } from '../../../core/reportMath.js';
import { TENANT_A } from './support.js';
import { TableClient } from '@azure/data-tables';
import { storesOnOwnAzurite } from './storeSupport.js';

const storage = storesOnOwnAzurite();

const seen = (user: string, day: string): CounterItem => ({
  kind: 'event',
  userId: user,
  eventKey: 'e1',
  type: 'seen',
  at: Date.parse(`${day}T12:00:00Z`),
  contribution: eventContribution('seen', 'inbox', day, undefined).contribution,
});

test('97 events of four months queued behind a commit are all counted, in transactions Azure accepts', async () => {
  const id = messageId(Date.now());
  const months = ['2026-08-03', '2026-09-03', '2026-10-03', '2026-11-03'];
  const first = count(TENANT_A, id, seen('u-first', months[3]!));
  const rest = Array.from({ length: 97 }, (_, i) => count(TENANT_A, id, seen(`u-${i}`, months[i % 4]!)));
  expect(await Promise.all([first, ...rest])).toEqual(Array(98).fill(true));
  // A replay of one of them counts nothing.
  expect(await count(TENANT_A, id, seen('u-5', months[1]!))).toBe(false);

  const table = TableClient.fromConnectionString(storage(), 'counters', { allowInsecureConnection: true });
  const totals = await table.getEntity<{ counts: string }>(`${TENANT_A}:${id}`, 'totals');
  expect(JSON.parse(totals.counts)).toMatchObject({ channels: { inbox: { seen: 98 } }, people: { viewers: 98 } });
});

const totalsOf = async (id: string) => {
  const table = TableClient.fromConnectionString(storage(), 'counters', { allowInsecureConnection: true });
  const row = await table.getEntity<{ counts: string; version: number }>(`${TENANT_A}:${id}`, 'totals');
  return { counts: JSON.parse(row.counts) as unknown, version: row.version };
};

test('a commit waits for the events announced to it, and carries them in one transaction', async () => {
  const id = messageId(Date.now() + 1);
  const arriving = [expectCount(TENANT_A, id), expectCount(TENANT_A, id)];
  // Without the announcement the first event would be committed alone, at once.
  const first = count(TENANT_A, id, seen('u-a', '2026-11-03'));
  arriving[0]!();
  const second = count(TENANT_A, id, seen('u-b', '2026-11-03'));
  arriving[1]!();
  expect(await Promise.all([first, second])).toEqual([true, true]);
  const totals = await totalsOf(id);
  expect(totals.version).toBe(1);
  expect(totals.counts).toMatchObject({ channels: { inbox: { seen: 2 } }, people: { viewers: 2 } });
});

test('an announced event that never comes holds a commit back only briefly', async () => {
  const id = messageId(Date.now() + 2);
  const withdrawn = expectCount(TENANT_A, id);
  expect(await count(TENANT_A, id, seen('u-c', '2026-11-03'))).toBe(true);
  withdrawn();
  withdrawn(); // twice is once
  expect(await count(TENANT_A, id, seen('u-d', '2026-11-03'))).toBe(true);
  expect((await totalsOf(id)).counts).toMatchObject({ channels: { inbox: { seen: 2 } }, people: { viewers: 2 } });
});
