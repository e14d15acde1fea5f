/**
 * Per-recipient tables in memory for the retention ports: rows in key order, walked tenant by tenant. A
 * tenant's candidates are all its rows — the port may offer more than goes, and the job decides.
 */
import { tenantOfPartition } from '../../../../core/retention.js';
import type { AgedBatch, AgedRow, AgedRows, DeliveryBatches } from '../../../../core/retention.js';

const byKey = (a: { partitionKey: string; rowKey?: string }, b: { partitionKey: string; rowKey?: string }) =>
  a.partitionKey.localeCompare(b.partitionKey) || (a.rowKey ?? '').localeCompare(b.rowKey ?? '');

function tenantsOf(partitions: string[]): string[] {
  return [...new Set(partitions.sort().map(tenantOfPartition))];
}

export class FakeAgedRows implements AgedRows {
  readonly rows: AgedRow[];
  constructor(rows: AgedRow[]) {
    this.rows = [...rows].sort(byKey);
  }

  async *tenants() {
    yield* tenantsOf(this.rows.map((r) => r.partitionKey));
  }

  async *candidates(tenant: string) {
    yield* this.rows.filter((r) => tenantOfPartition(r.partitionKey) === tenant).map((r) => ({ ...r }));
  }

  async delete(rows: AsyncIterable<AgedRow>) {
    let deleted = 0;
    for await (const row of rows) {
      const at = this.rows.findIndex((r) => r.partitionKey === row.partitionKey && r.rowKey === row.rowKey);
      if (at < 0) continue;
      this.rows.splice(at, 1);
      deleted++;
    }
    return deleted;
  }

  keys(): string[] {
    return this.rows.map((r) => `${r.partitionKey}/${r.rowKey}`);
  }
}

interface Batch {
  updatedAt: string;
  purgedAt?: string;
  recipientRows: number;
  version: number;
}

export class FakeDeliveryBatches implements DeliveryBatches {
  readonly batches = new Map<string, Batch>();

  add(partitionKey: string, updatedAt: string, recipientRows: number) {
    this.batches.set(partitionKey, { updatedAt, recipientRows, version: 1 });
  }

  /** A worker commits to the batch: its summary changes. */
  touch(partitionKey: string, at: string) {
    const b = this.batches.get(partitionKey)!;
    Object.assign(b, { updatedAt: at, version: b.version + 1 });
  }

  async *tenants() {
    yield* tenantsOf([...this.batches.keys()]);
  }

  async *candidates(tenant: string): AsyncIterable<AgedBatch> {
    for (const [partitionKey, b] of [...this.batches].sort(([a], [c]) => a.localeCompare(c)))
      if (tenantOfPartition(partitionKey) === tenant)
        yield { partitionKey, updatedAt: b.updatedAt, purged: b.purgedAt !== undefined, etag: String(b.version) };
  }

  async deleteRecipients(batch: AgedBatch) {
    const b = this.batches.get(batch.partitionKey);
    if (!b) return 0;
    const deleted = b.recipientRows;
    b.recipientRows = 0;
    return deleted;
  }

  async markPurged(batch: AgedBatch, at: string) {
    const b = this.batches.get(batch.partitionKey);
    if (b && String(b.version) === batch.etag) Object.assign(b, { purgedAt: at, version: b.version + 1 });
  }
}
