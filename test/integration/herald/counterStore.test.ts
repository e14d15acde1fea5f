// The counter store straight against Azurite: whatever waits for one message goes into as few transactions as
// Azure allows (100 operations: the items, the month rows they touch, the totals); each instance commits to a
// shard of its own, and every reader adds the shards up, the rows from before shards included.
import { randomUUID } from 'node:crypto';
import { odata, TableClient } from '@azure/data-tables';
import { expect, test, vi } from 'vitest';
import { committedCounts } from '../../../adapters/stores/counterRows.js';
import { count, expectCount, type CounterItem } from '../../../adapters/stores/counterStore.js';
import { messageId } from '../../../adapters/stores/keys.js';
import * as reportStore from '../../../adapters/stores/reportStore.js';
import { addTo, emptyCounts, eventContribution } from '../../../core/reportMath.js';
import { TENANT_A } from './support.js';
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

  expect((await totalsOf(id)).counts).toMatchObject({ channels: { inbox: { seen: 98 } }, people: { viewers: 98 } });
});

/** The message's totals, and the one shard (this process's) with its version: how many commits made it. */
const totalsOf = async (id: string) => {
  const { counts, versions } = (await committedCounts(TENANT_A, id))!.totals;
  expect(Object.keys(versions)).toHaveLength(1);
  return { counts, version: Object.values(versions)[0] };
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

/** A second Herald instance: fresh module instances of the stores, so its own writer, queues and caches. */
async function anotherInstance() {
  vi.resetModules();
  const counters = await import('../../../adapters/stores/counterStore.js');
  const reports = await import('../../../adapters/stores/reportStore.js');
  return { count: counters.count, reports };
}

const shardRows = async (tenant: string, id: string) => {
  const rows = table().listEntities({ queryOptions: { filter: odata`PartitionKey eq ${`${tenant}:${id}`} and RowKey ge 'totals'` } });
  const keys: string[] = [];
  for await (const row of rows) keys.push(row.rowKey!);
  return keys;
};

test('two instances counting the same messages at once each commit to rows of their own; sums, replays and reports are exact', async () => {
  const tenant = randomUUID();
  const a = { count, reports: reportStore };
  const b = await anotherInstance();
  expect(b.count).not.toBe(a.count);
  const ids = [messageId(Date.now() + 10), messageId(Date.now() + 11)];
  const users = Array.from({ length: 120 }, (_, i) => `u-${i}`);
  const dayOf = (i: number) => (i % 3 === 0 ? '2026-10-31' : '2026-11-03');
  const all = (through: (i: number) => typeof a) =>
    Promise.all(ids.flatMap((id) => users.map((u, i) => through(i).count(tenant, id, seen(u, dayOf(i))))));
  expect(await all((i) => (i % 2 ? a : b))).toEqual(Array(240).fill(true));
  // Every event again, each through the instance that did not count it: the markers they share refuse them all.
  expect(await all((i) => (i % 2 ? b : a))).toEqual(Array(240).fill(false));
  // A restart is a new writer: it counts what is new, and nothing that was counted.
  const c = await anotherInstance();
  expect(await c.count(tenant, ids[0]!, seen('u-0', dayOf(0)))).toBe(false);
  expect(await c.count(tenant, ids[0]!, seen('u-new', '2026-11-03'))).toBe(true);
  await Promise.all([a.reports.settled(tenant), b.reports.settled(tenant), c.reports.settled(tenant)]);

  const expected = (extra: number) => ({ channels: { inbox: { seen: 120 + extra } }, people: { viewers: 120 + extra } });
  for (const [n, id] of ids.entries()) {
    const committed = (await committedCounts(tenant, id))!;
    expect(committed.totals.counts).toMatchObject(expected(n === 0 ? 1 : 0));
    // One totals row per writer that counted, and nothing in the rows from before shards.
    expect(Object.keys(committed.totals.versions)).toHaveLength(n === 0 ? 3 : 2);
    expect((await shardRows(tenant, id)).filter((k) => k.startsWith('totals'))).toHaveLength(n === 0 ? 3 : 2);
    const october = committed.months.get('2026-10')!.days['2026-10-31']!;
    expect(october).toMatchObject({ channels: { inbox: { seen: 40 } } });
    // Each instance's report copy, written from its own shard's commits, holds every shard.
    for (const instance of [a, b, c]) expect((await instance.reports.messageTotals(tenant, [id])).get(id)).toEqual(committed.totals.counts);
  }
  const report = await c.reports.tenantActivity(tenant, ['2026-10', '2026-11']);
  expect(report.messages).toBe(2);
  expect(report.days.get('2026-10-31')).toMatchObject({ channels: { inbox: { seen: 80 } } });
  expect(report.days.get('2026-11-03')).toMatchObject({ channels: { inbox: { seen: 161 } } });
});

const table = () => TableClient.fromConnectionString(storage(), 'counters', { allowInsecureConnection: true });
const reportsTable = () => TableClient.fromConnectionString(storage(), 'reports', { allowInsecureConnection: true });

test('counts from before shards — rows and a report copy without a writer — still count, with what is counted now', async () => {
  const tenant = randomUUID();
  const id = messageId(Date.now() + 20);
  const five = addTo(emptyCounts(), 'inbox', { seen: 5 }, { viewers: 5 });
  // As the single-writer layout left them: `totals` and `m|yyyy-MM`, and a copy whose versions are numbers.
  await table().createEntity({ partitionKey: `${tenant}:${id}`, rowKey: 'totals', counts: JSON.stringify(five), version: 3 });
  await table().createEntity({
    partitionKey: `${tenant}:${id}`,
    rowKey: 'm|2026-11',
    days: JSON.stringify({ '2026-11-02': five }),
    version: 3,
  });
  await reportsTable().createEntity({
    partitionKey: tenant,
    rowKey: id,
    totals: JSON.stringify(five),
    tv: 3,
    m202611: JSON.stringify({ '2026-11-02': five }),
    v202611: 3,
  });
  expect(await Promise.all(['x', 'y'].map((u) => count(tenant, id, seen(u, '2026-11-03'))))).toEqual([true, true]);
  const { settled, messageTotals, tenantActivity } = reportStore;
  await settled(tenant);

  const committed = (await committedCounts(tenant, id))!;
  expect(committed.totals.counts).toMatchObject({ channels: { inbox: { seen: 7 } }, people: { viewers: 7 } });
  expect(committed.totals.versions['']).toBe(3);
  expect((await messageTotals(tenant, [id])).get(id)).toEqual(committed.totals.counts);
  const report = await tenantActivity(tenant, ['2026-11']);
  expect(report.days.get('2026-11-02')).toMatchObject({ channels: { inbox: { seen: 5 } } });
  expect(report.days.get('2026-11-03')).toMatchObject({ channels: { inbox: { seen: 2 } } });
});

test('a report copy set back behind what this instance remembers is rebuilt from the counters', async () => {
  const tenant = randomUUID();
  const id = messageId(Date.now() + 30);
  const { settled, messageTotals } = reportStore;
  // Another instance's shard in the copy too, so this instance's commit is not the whole of it.
  const other = await anotherInstance();
  await other.count(tenant, id, seen('q', '2026-11-03'));
  await other.reports.settled(tenant);
  await count(tenant, id, seen('p1', '2026-11-03'));
  await settled(tenant);
  const early = await reportsTable().getEntity(tenant, id);
  await count(tenant, id, seen('p2', '2026-11-03'));
  await settled(tenant);
  // The copy as it was after the first commit (a restore, a write lost): its version of this instance's shard
  // is one whose value this instance no longer keeps, so it cannot trade it for the next.
  await reportsTable().updateEntity(early, 'Replace');
  await count(tenant, id, seen('p3', '2026-11-03'));
  await settled(tenant);
  expect((await messageTotals(tenant, [id])).get(id)).toMatchObject({ channels: { inbox: { seen: 4 } }, people: { viewers: 4 } });
});

test('an instance that died after counting and before writing the copy: the next instance’s first write brings the copy level', async () => {
  const tenant = randomUUID();
  const id = messageId(Date.now() + 40);
  const dead = await anotherInstance();
  await dead.count(tenant, id, seen('d1', '2026-11-03'));
  await dead.reports.settled(tenant);
  const early = await Promise.all([reportsTable().getEntity(tenant, id), reportsTable().getEntity(tenant, '~m|2026-11')]);
  await dead.count(tenant, id, seen('d2', '2026-11-03'));
  await dead.reports.settled(tenant);
  // Its last copy write lost at the kill (it waits half a second after the counter commit; the copy and the
  // month's rollup go in one transaction): its shard is counted, the copy does not have it, and that shard
  // never commits again.
  for (const row of early) await reportsTable().updateEntity(row, 'Replace');
  const next = await anotherInstance();
  await next.count(tenant, id, seen('n1', '2026-11-03'));
  await next.reports.settled(tenant);
  expect((await next.reports.messageTotals(tenant, [id])).get(id)).toMatchObject({
    channels: { inbox: { seen: 3 } },
    people: { viewers: 3 },
  });
  const report = await next.reports.tenantActivity(tenant, ['2026-11']);
  expect(report.days.get('2026-11-03')).toMatchObject({ channels: { inbox: { seen: 3 } } });
});
