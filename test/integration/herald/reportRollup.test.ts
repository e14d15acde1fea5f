// The tenant's monthly rollups straight against Azurite: they always equal the report copies added up —
// built once from copies written before rollups existed (by a report or by the next copy write), kept level
// by every later write, and redone when another writer moved a rollup first.
import { randomUUID } from 'node:crypto';
import { odata, TableClient } from '@azure/data-tables';
import { beforeAll, expect, test, vi } from 'vitest';
import { count } from '../../../adapters/stores/counterStore.js';
import { messageId } from '../../../adapters/stores/keys.js';
import { messageReports, settled, tenantActivity } from '../../../adapters/stores/reportStore.js';
import { activity, addTo, daysBetween, emptyCounts, eventContribution, type ActiveDays, type Counts } from '../../../core/reportMath.js';
import { storesOnOwnAzurite } from './storeSupport.js';

const storage = storesOnOwnAzurite();
let reports: TableClient;
beforeAll(() => {
  reports = TableClient.fromConnectionString(storage(), 'reports', { allowInsecureConnection: true });
});

const DAYS = daysBetween('2026-10-29', '2026-11-03');
const MONTHS = ['2026-10', '2026-11'];

/** Counts `n` seen events of `users` people on `day` for the message, as the inbox would. */
async function seen(tenant: string, id: string, day: string, users: string[], active = new Map<string, ActiveDays>()) {
  await Promise.all(
    users.map((user) => {
      const { contribution, after } = eventContribution('seen', 'inbox', day, active.get(user));
      active.set(user, after);
      return count(tenant, id, {
        kind: 'event',
        userId: user,
        eventKey: `${day}-${user}`,
        type: 'seen',
        at: Date.parse(`${day}T12:00:00Z`),
        contribution,
      });
    }),
  );
}

/** The report from the rollups and the same report added up from every copy: they must be equal. */
async function bothWays(tenant: string, ids: string[]) {
  const rolled = await tenantActivity(tenant, MONTHS);
  const copies: Map<string, Counts>[] = [];
  for await (const r of messageReports(tenant, MONTHS, new Set(ids))) copies.push(r.days);
  return {
    rollup: { messages: rolled.messages, ...activity([rolled.days], DAYS) },
    copies: { messages: copies.length, ...activity(copies, DAYS) },
  };
}

async function dropRollups(tenant: string) {
  const rows = reports.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${tenant} and RowKey ge '~'` } });
  for await (const e of rows) await reports.deleteEntity(tenant, e.rowKey!);
}

test('copies counted before rollups existed are rolled up once, by the first report, then kept level', async () => {
  const tenant = randomUUID();
  const ids = [messageId(Date.now()), messageId(Date.now() + 1)];
  await seen(tenant, ids[0]!, '2026-10-30', ['a', 'b']);
  await seen(tenant, ids[1]!, '2026-11-02', ['a', 'c', 'd']);
  await settled(tenant);
  // What a tenant counted before this change holds: copies, no rollups.
  await dropRollups(tenant);

  const first = await bothWays(tenant, ids);
  expect(first.rollup).toEqual(first.copies);
  expect(first.rollup.messages).toBe(2);
  expect(first.rollup.totals).toMatchObject({ seen: 5, viewers: 5 });
  expect((await reports.getEntity(tenant, '~m|2026-11')).days).toBeTypeOf('string');

  await seen(tenant, ids[1]!, '2026-11-03', ['e']);
  await seen(tenant, messageId(Date.now() + 2), '2026-10-31', ['f']);
  await settled(tenant);
  const later = await bothWays(tenant, [...ids, ...(await copyIds(tenant))]);
  expect(later.rollup).toEqual(later.copies);
  expect(later.rollup).toMatchObject({ messages: 3, totals: { seen: 7, viewers: 7 } });
});

test('a copy write that finds no rollup builds it from the copies first', async () => {
  const tenant = randomUUID();
  const id = messageId(Date.now());
  await seen(tenant, id, '2026-11-01', ['a', 'b', 'c']);
  await settled(tenant);
  await dropRollups(tenant);
  await seen(tenant, id, '2026-11-02', ['a']);
  await seen(tenant, messageId(Date.now() + 1), '2026-10-29', ['z']);
  await settled(tenant);
  const { rollup, copies } = await bothWays(tenant, await copyIds(tenant));
  expect(rollup).toEqual(copies);
  expect(rollup).toMatchObject({ messages: 2, totals: { seen: 5 } });
});

test('a rollup another writer moved meanwhile is read again, not overwritten', async () => {
  const tenant = randomUUID();
  const id = messageId(Date.now());
  await seen(tenant, id, '2026-11-01', ['a']);
  await settled(tenant);
  // Another instance's write: same content, a new ETag, so this instance's cached one is stale.
  const row = await reports.getEntity<{ days: string }>(tenant, '~m|2026-11');
  await reports.updateEntity({ partitionKey: tenant, rowKey: '~m|2026-11', days: row.days }, 'Replace');
  await seen(tenant, id, '2026-11-02', ['a', 'b']);
  await settled(tenant);
  const { rollup, copies } = await bothWays(tenant, [id]);
  expect(rollup).toEqual(copies);
  expect(rollup.totals).toMatchObject({ seen: 3 });
});

async function copyIds(tenant: string) {
  const ids: string[] = [];
  for await (const e of reports.listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${tenant} and RowKey lt '~'`, select: ['RowKey'] },
  }))
    ids.push(e.rowKey!);
  return ids;
}

test('two instances writing copies of the same messages at once leave the rollups equal to the copies', async () => {
  const tenant = randomUUID();
  const a = await import('../../../adapters/stores/reportStore.js');
  vi.resetModules();
  // A second module instance: its own pending writes, cached ETags and counter shard, as another Herald instance has.
  const b = (await import('../../../adapters/stores/reportStore.js')) as typeof a;
  expect(b.project).not.toBe(a.project);
  const ids = Array.from({ length: 12 }, (_, i) => messageId(Date.now() + i));
  // Each instance's commits of its own shard: at version v, v seen on Oct 31 and 2v on Nov 1.
  const committed = (id: string, shard: string, version: number) => {
    const day = (n: number) => addTo(emptyCounts(), 'inbox', { seen: n }, { viewers: n });
    const versions = { [shard]: version };
    return {
      tenantId: tenant,
      messageId: id,
      totals: { counts: day(3 * version), versions },
      months: new Map([
        ['2026-10', { days: { '2026-10-31': day(version) }, versions }],
        ['2026-11', { days: { '2026-11-01': day(2 * version) }, versions }],
      ]),
    };
  };
  for (let version = 1; version <= 6; version++) {
    for (const [i, id] of ids.entries()) {
      // Both shards of every message move, in an order that differs from message to message.
      const [first, second] = (i + version) % 2 ? [a, b] : [b, a];
      first.project(committed(id, first === a ? 'a' : 'b', version));
      second.project(committed(id, second === a ? 'a' : 'b', version));
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  await Promise.all([a.settled(tenant), b.settled(tenant)]);
  const { rollup, copies } = await bothWays(tenant, ids);
  expect(rollup).toEqual(copies);
  expect(rollup).toMatchObject({ messages: 12, totals: { seen: 12 * 2 * 18 } });
  // Each copy holds both shards' latest values.
  for (const [id, totals] of await a.messageTotals(tenant, ids)) expect(totals.channels.inbox?.seen, id).toBe(2 * 18);
});

test('a report over earlier months holds those months only, and every message counted', async () => {
  const tenant = randomUUID();
  const ids = [messageId(Date.now()), messageId(Date.now() + 1), messageId(Date.now() + 2)];
  await seen(tenant, ids[0]!, '2026-10-30', ['a', 'b']);
  await seen(tenant, ids[1]!, '2026-11-02', ['a']);
  await seen(tenant, ids[2]!, '2026-12-01', ['c', 'd', 'e']);
  await settled(tenant);
  // The rollups of November and December and the count are stored beside October's.
  const october = await tenantActivity(tenant, ['2026-10']);
  expect(october.messages).toBe(3);
  expect([...october.days.keys()]).toEqual(['2026-10-30']);
  expect(activity([october.days], daysBetween('2026-10-01', '2026-10-31')).totals).toMatchObject({ seen: 2, viewers: 2 });
});

test('a count of copies that is not stored is counted from the copies, and stored', async () => {
  const tenant = randomUUID();
  const ids = [messageId(Date.now()), messageId(Date.now() + 1)];
  await seen(tenant, ids[0]!, '2026-11-01', ['a']);
  await seen(tenant, ids[1]!, '2026-11-02', ['b']);
  await settled(tenant);
  // A tenant whose month rollups were stored before its count was.
  await reports.deleteEntity(tenant, '~n');
  expect((await tenantActivity(tenant, MONTHS)).messages).toBe(2);
  expect((await reports.getEntity<{ count: number }>(tenant, '~n')).count).toBe(2);
});
