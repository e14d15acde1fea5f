// The reconciler's report repair straight against Azurite: a copy a crash left behind its counters (here:
// lost entirely) is written again from the counters, and a copy that is current is left alone.
import { TableClient } from '@azure/data-tables';
import { expect, test } from 'vitest';
import { committedCounts } from '../../../adapters/stores/counterRows.js';
import { count } from '../../../adapters/stores/counterStore.js';
import { messageId } from '../../../adapters/stores/keys.js';
import { messageTotals, repairCopy, settled } from '../../../adapters/stores/reportStore.js';
import { eventContribution } from '../../../core/reportMath.js';
import { TENANT_A } from './support.js';
import { storesOnOwnAzurite } from './storeSupport.js';

const storage = storesOnOwnAzurite();

test('a lost report copy is written again from the counters; a current one is left alone', async () => {
  const id = messageId(Date.now());
  for (const user of ['u1', 'u2', 'u3'])
    await count(TENANT_A, id, {
      kind: 'event',
      userId: user,
      eventKey: 'e1',
      type: 'seen',
      at: Date.parse('2026-11-03T12:00:00Z'),
      contribution: eventContribution('seen', 'inbox', '2026-11-03', undefined).contribution,
    });
  await settled(TENANT_A);
  const reports = TableClient.fromConnectionString(storage(), 'reports', { allowInsecureConnection: true });
  await reports.deleteEntity(TENANT_A, id);
  expect((await messageTotals(TENANT_A, [id])).get(id)).toBeUndefined();

  const committed = await committedCounts(TENANT_A, id);
  expect(committed?.totals.counts.people.viewers).toBe(3);
  expect(await repairCopy(committed!)).toBe(true);
  expect((await messageTotals(TENANT_A, [id])).get(id)).toMatchObject({ channels: { inbox: { seen: 3 } }, people: { viewers: 3 } });
  expect(await repairCopy((await committedCounts(TENANT_A, id))!)).toBe(false);
});
