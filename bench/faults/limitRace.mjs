// 30 group notifications posted at the same moment: the hourly limit of 25 per organisation holds exactly
// (25 × 202, 5 × 429), each refusal names the true wait in Retry-After, and only the 25 were recorded.
import { ALL_STAFF, client, loadOrg, startWorld } from '../lib/faults.mjs';

const TENANT = '7a1e0000-0000-4000-8000-00000000a003';
const AT_ONCE = 30;
const LIMIT = 25;

export default {
  name: 'limit-race',
  title: 'concurrent sends against the hourly group limit',
  async run({ root, log }) {
    const world = await startWorld(root);
    const host = await world.boot();
    await loadOrg(host, TENANT, 10);
    const sender = await client(host, TENANT, 'sam@contoso.test', ['Notifications.Send.Groups']);
    const sentAt = Date.now();
    const answers = await Promise.all(
      Array.from({ length: AT_ONCE }, () => sender('/api/notifications', { title: 'Race', body: 'At once', groups: [ALL_STAFF] })),
    );
    const admitted = answers.filter((a) => a.status === 202).length;
    const refused = answers.filter((a) => a.status === 429);
    const retryAfter = refused.map((a) => Number(/in (\d+) s/.exec(a.json?.detail ?? '')?.[1]));
    const recorded = (await sender('/api/notifications?pageSize=100')).json.items.length;
    log(
      `  ${AT_ONCE} at once: ${admitted} × 202, ${refused.length} × 429 (Retry-After ${[...new Set(retryAfter)].join(', ')} s); ${recorded} recorded`,
    );

    const why = [];
    if (admitted !== LIMIT) why.push(`${admitted} admitted, not ${LIMIT}`);
    if (refused.length !== AT_ONCE - LIMIT) why.push(`${refused.length} refused, not ${AT_ONCE - LIMIT}`);
    if (recorded !== LIMIT) why.push(`${recorded} notifications recorded, not ${LIMIT}`);
    // The oldest admitted send leaves the hour about an hour after it was admitted.
    const elapsed = Math.ceil((Date.now() - sentAt) / 1000);
    if (retryAfter.some((s) => !(s >= 3600 - elapsed && s <= 3600)))
      why.push(`a Retry-After outside ${3600 - elapsed}–3600 s: ${retryAfter.join(', ')}`);
    await world.stop();
    const verdict = why.length ? 'FAIL' : 'PASS';
    log(`limit-race: ${verdict}${why.length ? `: ${why.join('; ')}` : ''}`);
    return { verdict, why };
  },
};
