/**
 * Retention purge (docs/decisions/retention.md): deletes the per-recipient records older than each tenant's
 * `retentionDays`, keeping everything reports and delivery progress are made of.
 *
 * - interactions: the event markers, and a recipient's summary of a message once its latest time (seen,
 *   clicked, dismissed) is older than the cutoff — unless the message is still Active: the inbox's
 *   frequency rules read the summary (a click silences it for a year);
 * - clicks: who clicked, by their last click — unless the message is still Active (resends skip them);
 * - counters: the per-event rows; the totals, month and batch rows stay;
 * - deliveries: a batch's recipient snapshot and outcome rows once its summary was last updated before the
 *   cutoff. The summary stays — the delivery progress API reads its counts — and is marked purged, so
 *   later runs pass the batch by;
 * - export blobs older than a day.
 * The reports copy, occurrences, messages and the audit trail are not per-recipient and are left alone.
 *
 * The ports walk a table tenant by tenant and offer each tenant's candidates (`retentionWiring.ts`: a
 * range query with the cutoff in its filter); this job decides what goes — every time a row records
 * before the cutoff, its message no longer Active where that keeps it — so a port may offer more than
 * goes. A run can be repeated or stopped anywhere: whatever is left is found again next time.
 */
import { isExpired, retentionCutoff, type AgedRow, type AgedRows, type DeliveryBatches } from '../core/retention.js';
import type { MessageStore } from '../adapters/stores/messageStore.js';
import type { TenantSettings } from '../adapters/stores/tenantSettingsStore.js';

/** Rows (blobs for `exports`) deleted, per table. */
export interface PurgeCounts {
  interactions: number;
  clicks: number;
  counters: number;
  deliveries: number;
  exports: number;
}

export interface RetentionPorts {
  tenantSettings(tenant: string): Promise<Pick<TenantSettings, 'retentionDays'>>;
  messages: Pick<MessageStore, 'get'>;
  interactionMarkers: AgedRows;
  interactionSummaries: AgedRows;
  clicks: AgedRows;
  counterEvents: AgedRows;
  deliveries: DeliveryBatches;
  /** Deletes export blobs older than a day; returns how many. */
  sweepExports(): Promise<number>;
}

/** A tenant's cutoff (ISO), or undefined when its settings could not be read: then its records are kept. */
type CutoffOf = (tenant: string) => Promise<string | undefined>;
type Keep = (tenant: string, row: AgedRow) => Promise<boolean>;

async function* filterRows(rows: AsyncIterable<AgedRow>, goes: (row: AgedRow) => Promise<boolean>): AsyncIterable<AgedRow> {
  for await (const row of rows) if (await goes(row)) yield row;
}

export function createRetentionJob(ports: RetentionPorts) {
  /** Each tenant's settings are read once per run. */
  function tenantCutoffs(now: number, log: (message: string) => void): CutoffOf {
    const cutoffs = new Map<string, Promise<string | undefined>>();
    return (tenant) => {
      let cutoff = cutoffs.get(tenant);
      if (!cutoff) {
        cutoff = ports.tenantSettings(tenant).then(
          (settings) => retentionCutoff(now, settings.retentionDays),
          (error: unknown) => {
            log(`tenant ${tenant}: settings unreadable (${(error as Error).message}); its records are kept this run`);
            return undefined;
          },
        );
        cutoffs.set(tenant, cutoff);
      }
      return cutoff;
    };
  }

  /** Whether a message is still Active (its frequency rules and resends read the rows), looked up once per run. */
  function whileActive(): Keep {
    const known = new Map<string, Promise<boolean>>();
    return (tenant, row) => {
      const key = `${tenant}:${row.messageId}`;
      let active = known.get(key);
      if (!active) {
        active = ports.messages.get(tenant, row.messageId).then((m) => m?.status === 'Active');
        known.set(key, active);
      }
      return active;
    };
  }

  async function purge(rows: AgedRows, cutoffOf: CutoffOf, keep?: Keep): Promise<number> {
    let deleted = 0;
    for await (const tenant of rows.tenants()) {
      const cutoff = await cutoffOf(tenant);
      if (cutoff === undefined) continue;
      const goes = async (row: AgedRow) => isExpired(row.times, cutoff) && !(keep && (await keep(tenant, row)));
      deleted += await rows.delete(filterRows(rows.candidates(tenant, cutoff), goes));
    }
    return deleted;
  }

  /** The summary is marked after its batch's rows went, so a run stopped in between finishes the batch next time. */
  async function purgeDeliveries(cutoffOf: CutoffOf, now: number): Promise<number> {
    const { deliveries } = ports;
    const purgedAt = new Date(now).toISOString();
    let deleted = 0;
    for await (const tenant of deliveries.tenants()) {
      const cutoff = await cutoffOf(tenant);
      if (cutoff === undefined) continue;
      for await (const batch of deliveries.candidates(tenant, cutoff)) {
        if (batch.purged || !isExpired([batch.updatedAt], cutoff)) continue;
        deleted += await deliveries.deleteRecipients(batch);
        await deliveries.markPurged(batch, purgedAt);
      }
    }
    return deleted;
  }

  return {
    /**
     * Purges what is past retention as of `now`. `log` hears about tenants skipped because their settings
     * could not be read.
     */
    async purgeExpired(now: number, log: (message: string) => void = () => undefined): Promise<PurgeCounts> {
      const cutoffOf = tenantCutoffs(now, log);
      const active = whileActive();
      // Interactions go before counters: a replayed old event whose interaction marker is gone is recorded
      // anew but not counted again while its counter row remains, whereas the other way round it would be
      // counted twice — so a run stopped between the two must have done the interactions.
      const markers = await purge(ports.interactionMarkers, cutoffOf);
      const summaries = await purge(ports.interactionSummaries, cutoffOf, active);
      const clicks = await purge(ports.clicks, cutoffOf, active);
      const counters = await purge(ports.counterEvents, cutoffOf);
      const deliveries = await purgeDeliveries(cutoffOf, now);
      const exports = await ports.sweepExports();
      return { interactions: markers + summaries, clicks, counters, deliveries, exports };
    },
  };
}
