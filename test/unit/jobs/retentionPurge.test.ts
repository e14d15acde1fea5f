import { describe, expect, test } from 'vitest';
import { DAY_MS } from '../../../core/retention.js';
import type { AgedRow } from '../../../core/retention.js';
import { createRetentionJob } from '../../../jobs/retentionPurge.js';
import { FakeAgedRows, FakeDeliveryBatches } from './fakes/retention.js';
import { FakeMessages, message, newMessageId } from './fakes/records.js';

const NOW = Date.parse('2026-06-01T02:30:00Z');
const daysAgo = (days: number) => new Date(NOW - days * DAY_MS).toISOString();
// Tenant ids of different lengths that share a prefix: one's keys must never be taken for the other's.
const T1 = 'tenant-a';
const T2 = 'tenant-ab';
const BROKEN = 'tenant-c';

const row = (partitionKey: string, rowKey: string, messageId: string, ...times: (string | undefined)[]): AgedRow => ({
  partitionKey,
  rowKey,
  messageId,
  times,
});

function world() {
  const messages = new FakeMessages();
  const active = message({ location: 'teams' }, 'Active');
  const ended = message({ location: 'teams' }, 'Expired');
  for (const t of [T1, T2]) {
    messages.put(t, active);
    messages.put(t, ended);
  }
  const log: string[] = [];
  const ports = {
    // T1 keeps 30 days, T2 the default 365; BROKEN's settings cannot be read.
    tenantSettings: async (tenant: string) => {
      if (tenant === BROKEN) throw new Error('tenants table unavailable');
      return { retentionDays: tenant === T1 ? 30 : 365 };
    },
    messages,
    interactionMarkers: new FakeAgedRows([
      row(`${T1}:ann`, `~evt|${ended.id}|a`, ended.id, daysAgo(40)),
      row(`${T1}:ann`, `~evt|${ended.id}|b`, ended.id, daysAgo(10)),
      row(`${T2}:ann`, `~evt|${ended.id}|a`, ended.id, daysAgo(40)),
      row(`${BROKEN}:ann`, `~evt|${ended.id}|a`, ended.id, daysAgo(4000)),
    ]),
    interactionSummaries: new FakeAgedRows([
      row(`${T1}:ann`, ended.id, ended.id, daysAgo(50), daysAgo(45), undefined, undefined),
      // Seen long ago, but clicked recently: kept.
      row(`${T1}:bob`, ended.id, ended.id, daysAgo(50), daysAgo(45), daysAgo(5), undefined),
      // Old, but the message is still Active: the inbox's frequency rules read it.
      row(`${T1}:cat`, active.id, active.id, daysAgo(50), daysAgo(45), undefined, undefined),
      // No time recorded at all: nothing says it is old.
      row(`${T1}:dan`, ended.id, ended.id),
    ]),
    clicks: new FakeAgedRows([
      row(`${T1}:${ended.id}`, 'ann', ended.id, daysAgo(31)),
      row(`${T1}:${active.id}`, 'ann', active.id, daysAgo(31)),
      row(`${T1}:${ended.id}`, 'bob', ended.id, daysAgo(29)),
    ]),
    counterEvents: new FakeAgedRows([
      row(`${T1}:${ended.id}`, '~e|ann|1', ended.id, daysAgo(31)),
      row(`${T1}:${active.id}`, '~e|ann|1', active.id, daysAgo(31)),
      row(`${T2}:${ended.id}`, '~e|ann|1', ended.id, daysAgo(366)),
    ]),
    deliveries: new FakeDeliveryBatches(),
    sweepExports: async () => 2,
  };
  ports.deliveries.add(`${T1}:${ended.id}:000000:000000`, daysAgo(40), 120);
  ports.deliveries.add(`${T1}:${ended.id}:000000:000001`, daysAgo(3), 80);
  ports.deliveries.add(`${T2}:${ended.id}:000000:000000`, daysAgo(40), 60);
  return { ports, log, active, ended, job: createRetentionJob(ports) };
}

describe('retention purge', () => {
  test('deletes only per-recipient rows past each tenant’s retention, and keeps what an Active message still reads', async () => {
    const { ports, log, active, ended, job } = world();

    const counts = await job.purgeExpired(NOW, (line) => log.push(line));

    expect(counts).toEqual({ interactions: 2, clicks: 1, counters: 3, deliveries: 120, exports: 2 });
    expect(ports.interactionMarkers.keys()).toEqual([
      `${T1}:ann/~evt|${ended.id}|b`,
      `${T2}:ann/~evt|${ended.id}|a`,
      `${BROKEN}:ann/~evt|${ended.id}|a`,
    ]);
    expect(ports.interactionSummaries.keys()).toEqual([`${T1}:bob/${ended.id}`, `${T1}:cat/${active.id}`, `${T1}:dan/${ended.id}`]);
    expect(ports.clicks.keys()).toEqual([`${T1}:${active.id}/ann`, `${T1}:${ended.id}/bob`]);
    // Counter event rows go whatever the message's status: the totals they fed stay.
    expect(ports.counterEvents.keys()).toEqual([]);
    // The old batch loses its recipients but keeps its summary, marked so later runs pass it by.
    const batches = ports.deliveries.batches;
    expect(batches.get(`${T1}:${ended.id}:000000:000000`)).toMatchObject({ recipientRows: 0, purgedAt: new Date(NOW).toISOString() });
    expect(batches.get(`${T1}:${ended.id}:000000:000001`)).toMatchObject({ recipientRows: 80 });
    expect(batches.get(`${T2}:${ended.id}:000000:000000`)).toMatchObject({ recipientRows: 60 });
    expect(log).toEqual([`tenant ${BROKEN}: settings unreadable (tenants table unavailable); its records are kept this run`]);
  });

  test('a second run deletes nothing more and reads each tenant’s settings and each message once', async () => {
    const { ports, job } = world();
    let settingsReads = 0;
    const counted = createRetentionJob({ ...ports, tenantSettings: (t) => (settingsReads++, ports.tenantSettings(t)) });

    await job.purgeExpired(NOW);
    const readsBefore = ports.messages.reads;
    expect(await counted.purgeExpired(NOW)).toEqual({ interactions: 0, clicks: 0, counters: 0, deliveries: 0, exports: 2 });
    expect(settingsReads).toBe(3);
    // The Active message keeps an old summary and an old click; it is looked up once for both.
    expect(ports.messages.reads - readsBefore).toBe(1);
  });

  test('a batch a worker touched after it was read keeps its place for a later run to judge', async () => {
    const { ports } = world();
    const pk = `${T1}:${newMessageId()}:000000:000000`;
    ports.deliveries.add(pk, daysAgo(40), 10);
    const deliveries = Object.assign(Object.create(ports.deliveries) as typeof ports.deliveries, {
      deleteRecipients: async (batch: Parameters<typeof ports.deliveries.deleteRecipients>[0]) => {
        const deleted = await ports.deliveries.deleteRecipients(batch);
        if (batch.partitionKey === pk) ports.deliveries.touch(pk, new Date(NOW).toISOString());
        return deleted;
      },
    });

    await createRetentionJob({ ...ports, deliveries }).purgeExpired(NOW);

    expect(ports.deliveries.batches.get(pk)?.purgedAt).toBeUndefined();
  });
});
