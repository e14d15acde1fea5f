// kill -9 of the host while a custom notification goes to every device of a group: FCM has no idempotency
// key, so a device whose send was in flight is never sent again — nobody gets it twice, and whoever did not
// get it is one the API reports unconfirmed.
import { objectId } from '@herald/devhost/testing';
import { planDevices, registerAll } from '../lib/push-devices.mjs';
import {
  ALL_STAFF,
  client,
  killDuringSend,
  killVerdict,
  loadBuilt,
  loadOrg,
  pushReceipts,
  report,
  startWorld,
  tally,
} from '../lib/faults.mjs';

export default {
  name: 'kill-push',
  title: 'kill -9 mid-send: push (FCM and APNs)',
  async run({ root, users, log }) {
    const world = await startWorld(root);
    try {
      const host = await world.boot();
      const tenant = crypto.randomUUID();
      const people = await loadOrg(host, tenant, users);
      // Registered behind the API, through the app's own store, as bench/push.mjs does: one device each.
      process.env.AzureWebJobsStorage = world.storage;
      const { registerDevice } = await loadBuilt(root, 'adapters/stores/deviceStore.js');
      const plan = planDevices(
        people.map((u) => ({ id: objectId(tenant, u.userPrincipalName), userPrincipalName: u.userPrincipalName })),
        { salt: tenant, androidShare: 0.6 },
      );
      await registerAll(registerDevice, tenant, plan, { concurrency: 16 });
      const sender = await client(host, tenant, 'sam@contoso.test', ['Notifications.Send.Groups']);
      const sent = await sender('/api/notifications', { title: 'Restart today', body: 'Save your work by 17:00.', groups: [ALL_STAFF] });
      if (sent.status !== 202) throw new Error(`send: ${sent.status} ${JSON.stringify(sent.json)}`);
      const view = async () => {
        const reader = await client(world.host, tenant, 'sam@contoso.test', ['Notifications.Send.Groups']);
        return (await reader(`/api/notifications/${sent.json.id}`)).json;
      };
      const { atKill, resumeS } = await killDuringSend(world, {
        tenant,
        channel: 'push',
        audience: users,
        atLeast: 1,
        // Push is not paced: hit it at once, or the send may be over.
        jitterMs: 50,
        resolved: async () => (await view()).status !== 'resolving',
        done: async () => (await view()).status === 'done',
        log,
      });
      const v = await view();
      const counts = tally(await pushReceipts(world.host));
      const { misses, why } = killVerdict({ audience: users, delivery: v, counts, resumeS, resendable: false });
      if (atKill >= users) why.push('the kill came after the send had finished: it proved nothing');
      return report(
        'kill-push',
        {
          audience: users,
          received: counts.received,
          duplicates: counts.duplicates,
          misses,
          'after-cancel sends': '–',
          'at kill': atKill,
          sent: v.sent,
          unconfirmed: v.unconfirmed,
          'resume s': resumeS,
        },
        why,
        log,
      );
    } finally {
      await world.stop();
    }
  },
};
