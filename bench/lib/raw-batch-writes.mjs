// The raw Azurite batch-write rate the fan-out and push benchmarks compare against (the same row shape,
// partitions, transaction size and in-flight counts for both), so their baselines are one figure.
import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';

/** As adapters/stores/deliveryStore.ts partitions them: 1000-recipient partitions, 100 operations per transaction. */
export const BATCH = 1000;
const TX = 100;
/** The better of one and four transactions in flight is the baseline. */
export const BASELINE_IN_FLIGHT = [1, 4];

async function pool(n, concurrency, worker) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await worker(next++);
    }),
  );
}

/** Rows shaped like adapters/stores/deliveryStore.ts delivery rows (same columns and types), 1000 to a partition. */
function deliveryRows(count) {
  const occurrence = `${randomUUID()}:${'0'.repeat(21)}:000000`;
  const languages = ['en-US', 'en-GB', 'fr-FR', 'de-DE', 'es-ES', 'ja-JP'];
  return Array.from({ length: count }, (_, i) => ({
    partitionKey: `${occurrence}:${String(Math.floor(i / BATCH)).padStart(6, '0')}`,
    rowKey: randomUUID(),
    channel: 'teams',
    upn: `person.${i}@contoso.test`,
    name: `Person ${i}`,
    mail: `person.${i}@contoso.test`,
    language: languages[i % languages.length],
    status: 'pending',
    attempts: 0,
    reason: '',
    sentAt: '',
  }));
}

/** Entities/s of 100-row upsert transactions into a fresh table, `inFlight` transactions at a time. */
export async function rawBatchWrites(connectionString, count, inFlight) {
  const table = TableClient.fromConnectionString(connectionString, `pushraw${inFlight}${Date.now() % 1e6}`, {
    allowInsecureConnection: true,
  });
  await table.createTable();
  const rows = deliveryRows(count);
  const transactions = [];
  for (let i = 0; i < rows.length; i += TX) transactions.push(rows.slice(i, i + TX).map((r) => ['upsert', r, 'Replace']));
  const t = performance.now();
  await pool(transactions.length, inFlight, (i) => table.submitTransaction(transactions[i]));
  const ms = performance.now() - t;
  await table.deleteTable();
  return { inFlight, ms, perSecond: (count / ms) * 1000 };
}

/**
 * The baseline: a 2,000-row warm-up (Azurite's first transactions pay for JIT compilation), then `count` rows
 * at each in-flight count; returns every run and the best.
 */
export async function rawBaseline(connectionString, count) {
  await rawBatchWrites(connectionString, 2 * BATCH, 1);
  const runs = [];
  for (const inFlight of BASELINE_IN_FLIGHT) runs.push(await rawBatchWrites(connectionString, count, inFlight));
  return { runs, best: runs.reduce((a, b) => (a.perSecond >= b.perSecond ? a : b)) };
}
