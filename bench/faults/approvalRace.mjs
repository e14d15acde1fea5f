// The approval hole: 20 approvals of one message by the same approver at the same moment are one 200 and
// 19 × 409, approved once; and a decision raised straight through the Durable HTTP API (no key, naming an
// approver of its own) leaves a second message PendingApproval.
import { ALL_STAFF, client, loadOrg, startWorld } from '../lib/faults.mjs';

const TENANT = '7a1e0000-0000-4000-8000-00000000a004';
const AT_ONCE = 20;
const DAY = 86_400_000;

async function pending(writer) {
  const start = Date.now() + DAY;
  const { json: draft } = await writer('/api/messages', {
    name: 'Approval race',
    objective: 'announcement',
    location: 'teams',
    template: { kind: 'custom' },
    content: { title: 'Race', body: 'Approve me once' },
    audience: { groups: [ALL_STAFF] },
    schedule: { start: new Date(start).toISOString(), end: new Date(start + DAY).toISOString(), frequency: 'once' },
  });
  const { json } = await writer(`/api/messages/${draft.id}/submit`, {});
  return json;
}

export default {
  name: 'approval-race',
  title: 'concurrent approvals and a forged decision event',
  async run({ root, log }) {
    const world = await startWorld(root);
    const host = await world.boot();
    await loadOrg(host, TENANT, 10);
    const writer = await client(host, TENANT, 'wendy@contoso.test', ['Messages.Write']);
    const approver = await client(host, TENANT, 'abe@contoso.test', ['Messages.Approve']);
    const why = [];

    const raced = await pending(writer);
    const answers = await Promise.all(Array.from({ length: AT_ONCE }, () => approver(`/api/messages/${raced.id}/approve`, {})));
    // The one recorded decision answers 200, or 202 when the lifecycle has not shown it yet.
    const ok = answers.filter((a) => a.status === 200 || a.status === 202).length;
    const conflicts = answers.filter((a) => a.status === 409).length;
    const approvals = (await writer(`/api/messages/${raced.id}/audit`)).json.items.filter((a) => a.action === 'approved').length;
    log(`  ${AT_ONCE} approvals at once: ${ok} × 200/202, ${conflicts} × 409; approved ${approvals} time(s)`);
    if (ok !== 1 || conflicts !== AT_ONCE - 1) why.push(`${ok} × 200/202 and ${conflicts} × 409, not 1 and ${AT_ONCE - 1}`);
    if (approvals !== 1) why.push(`approved ${approvals} times`);

    const target = await pending(writer);
    const forged = await host.fetch(`/runtime/webhooks/durabletask/instances/${target.lifecycle}/raiseEvent/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ approve: true, by: { id: 'mallory', upn: 'mallory@contoso.test', name: 'Mallory' } }),
    });
    await host.idle();
    const after = (await writer(`/api/messages/${target.id}`)).json.status;
    log(`  forged decision event: ${forged.status}; the message is ${after}`);
    if (after !== 'PendingApproval') why.push(`a forged decision event moved the message to ${after}`);

    await world.stop();
    const verdict = why.length ? 'FAIL' : 'PASS';
    log(`approval-race: ${verdict}${why.length ? `: ${why.join('; ')}` : ''}`);
    return { verdict, why };
  },
};
