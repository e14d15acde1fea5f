// Where a push send's first seconds went, read after the run from what it left behind (nothing is timed while it
// runs): devhost's log, which with --verbose stamps each invocation's start and every line the app logs, and the
// batches' rows in storage, where a snapshot chunk's Timestamp is when its batch was written (chunks are written
// once) and each outcome keeps the time its device was sent.

/** `[ISO time] [Level] [function] [invocation] message` lines of the host's output, as epoch ms, message and function. */
function logLines(output) {
  const lines = [];
  for (const line of output.split('\n')) {
    const m = /^\[(\d{4}-\d\d-\d\dT[\d:.]+Z)\] \[\w+\](?: \[(\w+)\])?(?: \[[\w-]+\])? (.*)$/.exec(line);
    if (m) lines.push({ at: Date.parse(m[1]), fn: m[2], message: m[3] });
  }
  return lines;
}

/**
 * Per batch: when it was written, when its first and last device were sent, and when devhost started its
 * `deliverPush` invocations; plus resolution's start and the end of its Graph paging from the app's own log.
 */
export async function pushTimeline({ output, table, partitionPrefix, postedAt }) {
  const log = logLines(output);
  const starts = (fn) => log.filter((l) => l.fn === fn && l.message.startsWith(`Executing '${fn}'`)).map((l) => l.at);
  const deliverStarts = starts('deliverPush').filter((at) => at >= postedAt);
  const resolveStart = starts('resolveNotification').find((at) => at >= postedAt);
  const usersLine = log.find((l) => l.fn === 'resolveNotification' && l.at >= postedAt && / users in the groups;/.test(l.message));

  const batches = new Map();
  const batchOf = (pk) => {
    const n = Number(pk.slice(pk.lastIndexOf(':') + 1));
    if (!batches.has(n)) batches.set(n, { batch: n, written: Infinity, firstSent: Infinity, lastSent: -Infinity, devices: 0 });
    return batches.get(n);
  };
  const rows = table.listEntities({
    queryOptions: { filter: `PartitionKey ge '${partitionPrefix}' and PartitionKey lt '${partitionPrefix}~'` },
  });
  for await (const e of rows) {
    const b = batchOf(e.partitionKey);
    if (e.rowKey.startsWith('~chunk:')) b.written = Math.min(b.written, Date.parse(e.timestamp));
    if (!e.rowKey.startsWith('~out:')) continue;
    let json = '';
    for (let i = 0; i < Number(e.parts ?? 0); i++) json += e[`p${i}`] ?? '';
    for (const [, , , sentAt] of Object.values(JSON.parse(json || '{}'))) {
      if (!sentAt) continue;
      const at = Date.parse(sentAt);
      b.devices++;
      b.firstSent = Math.min(b.firstSent, at);
      b.lastSent = Math.max(b.lastSent, at);
    }
  }
  const sentTimes = [...batches.values()].map((b) => b.firstSent).filter(Number.isFinite);
  return {
    resolveStart,
    usersResolved: usersLine?.at,
    deliverStarts,
    batches: [...batches.values()].sort((a, b) => a.written - b.written),
    firstSent: Math.min(...sentTimes),
  };
}

/** The timeline as lines of seconds after the POST. */
export function timelineLines(t, postedAt) {
  const s = (at) => (Number.isFinite(at) ? `${((at - postedAt) / 1000).toFixed(2)} s` : 'n/a');
  const written = t.batches.filter((b) => Number.isFinite(b.written));
  const first = written[0];
  const byFirstSent = [...t.batches].filter((b) => Number.isFinite(b.firstSent)).sort((a, b) => a.firstSent - b.firstSent);
  const lines = [
    `resolveNotification invoked ${s(t.resolveStart)}; the groups' users read (Graph paging done) ${s(t.usersResolved)}`,
    `first batch written ${s(first?.written)} (batch ${first?.batch}); ` +
      `${Math.min(8, written.length)} written by ${s(written[Math.min(8, written.length) - 1]?.written)}, 16 by ${s(written[15]?.written)}`,
    `deliverPush invocations: first ${s(t.deliverStarts[0])}, 8th ${s(t.deliverStarts[7])}, 16th ${s(t.deliverStarts[15])}` +
      ` (${t.deliverStarts.length} in all)`,
    `first device sent ${s(t.firstSent)} (batch ${byFirstSent[0]?.batch}); the first 8 batches by their first send: ` +
      byFirstSent
        .slice(0, 8)
        .map((b) => `#${b.batch} written ${s(b.written)} → sent ${s(b.firstSent)}…${s(b.lastSent)}`)
        .join('; '),
  ];
  return lines;
}
