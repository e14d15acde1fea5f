// The inbox soak (bench/inbox.mjs --soak <minutes>): the timed inbox load for minutes on end with inbox
// events (seen, clicked, dismissed) posted through the real event endpoint beside it, p99 and RSS printed
// each minute. A cache that keeps what it should forget, or a per-request leak, shows as RSS that keeps
// growing after the first minute (when the JIT, the pools and the caches' working set have settled).
import { latencySummary, paced } from './paced.mjs';
import { memoryMb } from './rss.mjs';

const MINUTE = 60_000;
const KINDS = ['seen', 'seen', 'dismissed', 'clicked'];
export const RSS_GROWTH_LIMIT = 0.1;
const DRAIN_MS = 60_000;

const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

/**
 * Runs `nextRequest(i)` at `rate` and events at `eventRate` for `minutes`; prints a line a minute and the
 * verdicts. `users()` lists users already answered, `shownTo` what each was last shown, `bearer[user]` their
 * token, and user u is served by `hosts[u % hosts.length]` (as the inbox requests are). Returns the figures.
 */
export async function soak({ minutes, rate, eventRate, targetP99Ms, nextRequest, users, shownTo, bearer, hosts, rssPids }) {
  const buckets = Array.from({ length: minutes }, () => ({ inbox: [], events: [], eventErrors: 0, inboxErrors: 0 }));
  const t0 = performance.now();
  const bucket = () => buckets[Math.min(minutes - 1, Math.floor((performance.now() - t0) / MINUTE))];
  const rss = [];
  const line = (k) => {
    const b = buckets[k];
    const inbox = latencySummary(b.inbox);
    const events = latencySummary(b.events);
    const mb = Object.fromEntries(Object.entries(rssPids).map(([name, pid]) => [name, memoryMb(pid).rss]));
    rss.push(mb);
    console.log(
      `  minute ${k + 1}: inbox ${inbox.n} answered, p99 ${fmt(inbox.p99, 1)} ms, ${b.inboxErrors} errors, ${inFlight} in flight; ` +
        `events ${events.n} recorded, p99 ${fmt(events.p99, 1)} ms, ${b.eventErrors} errors; RSS ` +
        Object.entries(mb)
          .map(([name, v]) => `${name} ${fmt(v, 0)} MB`)
          .join(', '),
    );
    return { inbox, events };
  };
  const perMinute = [];
  const ticker = setInterval(() => {
    if (perMinute.length < minutes) perMinute.push(line(perMinute.length));
  }, MINUTE);

  // Each answer counts in the minute it came in: a minute's line is then whole when printed, and a backlog
  // shows as long answers (and as requests in flight), not as a minute with none.
  let inFlight = 0;
  const inboxOp = async (i) => {
    const began = performance.now();
    inFlight++;
    try {
      const result = await nextRequest(i);
      const b = bucket();
      if (result.ok) b.inbox.push(performance.now() - began);
      else b.inboxErrors++;
      return result;
    } finally {
      inFlight--;
    }
  };
  let eventId = 0;
  const eventOp = async () => {
    const pool = users();
    const user = pool[Math.floor(Math.random() * pool.length)];
    const ids = shownTo.get(user);
    if (!ids) return { ok: true, tag: 'nothing shown' };
    const id = ids[Math.floor(Math.random() * ids.length)];
    const n = eventId++;
    const began = performance.now();
    const res = await fetch(`${hosts[user % hosts.length].url}/api/inbox/${id}/events`, {
      method: 'POST',
      headers: { authorization: bearer[user], 'content-type': 'application/json' },
      body: JSON.stringify({ type: KINDS[n % KINDS.length], clientEventId: `soak-${n}` }),
    });
    await res.arrayBuffer();
    const b = bucket();
    const ok = res.status === 201;
    if (ok) b.events.push(performance.now() - began);
    else b.eventErrors++;
    return { ok, status: res.status };
  };

  const runs = Promise.all([
    paced({ rate, seconds: minutes * 60, op: inboxOp }),
    paced({ rate: eventRate, seconds: minutes * 60, op: eventOp }),
  ]);
  // A backlog can outlast the soak by far: after a grace the unanswered are counted, and the run ends.
  let stuck;
  const grace = new Promise((resolve) => {
    stuck = setTimeout(resolve, minutes * MINUTE + DRAIN_MS);
  });
  const done = await Promise.race([runs, grace]);
  clearTimeout(stuck);
  clearInterval(ticker);
  if (!done) {
    while (perMinute.length < minutes) perMinute.push(line(perMinute.length));
    console.log(
      `\nSoak: ${inFlight} inbox requests still unanswered ${DRAIN_MS / 1000} s after the end: MISS (p99 ≤ ${targetP99Ms} ms), run cut short`,
    );
    return { unanswered: inFlight, perMinute, rss };
  }
  const [inbox, events] = done;
  while (perMinute.length < minutes) perMinute.push(line(perMinute.length));

  const all = latencySummary(buckets.flatMap((b) => b.inbox));
  const worstMinute = Math.max(...perMinute.map((m) => m.inbox.p99));
  // Growth after the first minute, per process: the highest later sample against the first minute's.
  const growth = Object.fromEntries(
    Object.keys(rssPids).map((name) => [name, Math.max(...rss.slice(1).map((m) => m[name])) / rss[0][name] - 1]),
  );
  console.log(`\nSoak: ${minutes} min, inbox at ${rate}/s, events at ${eventRate}/s`);
  console.log(
    `  inbox: ${all.n} answered (${fmt(inbox.achieved, 0)}/s), p50 ${fmt(all.p50, 2)} ms, p99 ${fmt(all.p99, 2)} ms, worst minute's p99 ${fmt(worstMinute, 1)} ms, ${inbox.errorCount} errors ${JSON.stringify(inbox.errors)}`,
  );
  console.log(`  events: ${fmt(events.achieved, 1)}/s recorded, ${events.errorCount} errors ${JSON.stringify(events.errors)}`);
  console.log(
    `  p99 ≤ ${targetP99Ms} ms in every minute${' '.repeat(20)}${fmt(worstMinute, 1)} ms   ${worstMinute <= targetP99Ms ? 'PASS' : 'MISS'}`,
  );
  for (const [name, g] of Object.entries(growth))
    console.log(
      `  ${name} RSS grows ≤ ${100 * RSS_GROWTH_LIMIT}% after minute 1 (${fmt(rss[0][name], 0)} MB → peak ${fmt(Math.max(...rss.slice(1).map((m) => m[name])), 0)} MB, last ${fmt(rss.at(-1)[name], 0)} MB): ${fmt(100 * g, 1)}%   ${g <= RSS_GROWTH_LIMIT ? 'PASS' : 'MISS'}`,
    );
  return { inbox, events, all, worstMinute, growth, rss, perMinute };
}
