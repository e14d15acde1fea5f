// `node --import` preload for Azurite, for seeding one very large partition only. Azurite checks every insert
// and every point read with LokiJS `findOne({ PartitionKey, RowKey })`, which takes the PartitionKey index and
// then scans the whole partition for the RowKey: an insert into a partition of n rows costs O(n), so filling one
// partition costs O(n²) (measured here: 100,000 markers would take over half an hour; 20,000 take ~15 s). While
// the file named by BENCH_AZURITE_SEED_FLAG exists, the same query is asked with its two conditions the other
// way round, so LokiJS takes the RowKey index first (RowKeys are nearly unique) and checks the PartitionKey of
// the few rows found — same answer, O(log n). Without the file Azurite runs unchanged: benchmarks create it
// around seeding and remove it before they measure anything.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const flag = process.env.BENCH_AZURITE_SEED_FLAG;
if (flag) {
  // LokiJS as Azurite resolves it, so the prototype patched is the one Azurite's collections use.
  const fromHere = createRequire(import.meta.url);
  const loki = createRequire(fromHere.resolve('azurite/dist/src/azurite.js'))('lokijs');
  const { findOne } = loki.Collection.prototype;
  let seeding = false;
  let checkedAt = 0;
  // A stat at most every 50 ms: the flag's latency, and no measurable cost while it is absent.
  const on = () => {
    const t = Date.now();
    if (t - checkedAt >= 50) {
      checkedAt = t;
      seeding = existsSync(flag);
    }
    return seeding;
  };
  loki.Collection.prototype.findOne = function (query) {
    if (
      query &&
      typeof query.PartitionKey === 'string' &&
      typeof query.RowKey === 'string' &&
      Object.keys(query).length === 2 &&
      this.binaryIndices?.RowKey &&
      on()
    )
      return findOne.call(this, { RowKey: query.RowKey, PartitionKey: query.PartitionKey });
    return findOne.call(this, query);
  };
}
