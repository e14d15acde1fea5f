/**
 * Provider pacing shared by every instance (docs/storage.md `pacing`): one row per channel and tenant holding
 * the next free send slot (`nextAt`, epoch ms) and any provider pause (`pausedUntil`). A claim takes `count`
 * evenly spaced slots from that schedule in one ETag-guarded write, so instances together never go faster
 * than the interval, however their claims interleave.
 */
import { isStatus, table } from './storageClients.js';

const MAX_ATTEMPTS = 50;
const ROW = 'schedule';
const pacing = () => table('pacing');
const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(40, 2 + attempt * 3)));

interface ScheduleRow {
  nextAt: number;
  pausedUntil: number;
}

/** Rewrites `key`'s schedule with `change`, guarded by its ETag, retrying when another instance wrote first. */
async function update<T>(key: string, change: (row: ScheduleRow) => { row: ScheduleRow; result: T }): Promise<T> {
  const client = await pacing();
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    let current: ScheduleRow = { nextAt: 0, pausedUntil: 0 };
    let etag: string | undefined;
    try {
      const entity = await client.getEntity<ScheduleRow>(key, ROW);
      current = { nextAt: Number(entity.nextAt), pausedUntil: Number(entity.pausedUntil) };
      etag = entity.etag;
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    const { row, result } = change(current);
    const entity = { partitionKey: key, rowKey: ROW, nextAt: row.nextAt, pausedUntil: row.pausedUntil };
    try {
      if (etag) await client.updateEntity(entity, 'Replace', { etag });
      else await client.createEntity(entity);
      return result;
    } catch (error) {
      if (!isStatus(error, 412) && !isStatus(error, 409)) throw error;
      await pause(attempt);
    }
  }
  throw new Error(`the pacing schedule ${key} kept changing (${MAX_ATTEMPTS} attempts)`);
}

/** Claims `count` slots `intervalMs` apart, the first no earlier than `now` or a pause; answers their times. */
export const claimSlots = (key: string, count: number, intervalMs: number, now: number): Promise<number[]> =>
  update(key, ({ nextAt, pausedUntil }) => {
    const first = Math.max(nextAt, pausedUntil, now);
    const slots = Array.from({ length: count }, (_, i) => first + i * intervalMs);
    return { row: { nextAt: first + count * intervalMs, pausedUntil }, result: slots };
  });

/** The provider said "not before `until`": no instance takes a slot before then. */
export const pauseUntil = (key: string, until: number): Promise<void> =>
  update(key, ({ nextAt, pausedUntil }) => ({
    row: { nextAt: Math.max(nextAt, until), pausedUntil: Math.max(pausedUntil, until) },
    result: undefined,
  }));
