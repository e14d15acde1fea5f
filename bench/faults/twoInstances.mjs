// Herald on two instances over one storage account, as Azure runs it scaled out: the hourly group limit
// holds exactly when the posts race across both; a cancel accepted by one instance stops the email the other
// is sending; and kill -9 of the instance holding a Teams send's batches leaves the other to finish it with
// nobody reached twice and nobody missed unreported.
//
// The providers (Graph, ACS, FCM/APNs) and the identity provider are services outside Herald, shared by
// every instance and outliving any of them: here they are the stand-ins of a third devhost, running an app
// with no functions, whose endpoints both instances' settings name.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from '../../packages/devhost/bench/lib/cleanup.mjs';
import { providersOf, startProviders } from '../lib/providers.mjs';
import {
  ALL_STAFF,
  IN_FLIGHT_MS,
  client,
  emailReceipts,
  killTree,
  killVerdict,
  loadOrg,
  messageDelivery,
  publish,
  receivedCount,
  report,
  sleep,
  tally,
  teamsReceipts,
  waitFor,
} from '../lib/faults.mjs';

const SETTINGS = 'local.settings.sample.json';
const CLICK_SECRET = 'fault-suite-click-link-secret-0123456789';
const LIMIT = 25;
const AT_ONCE = 30;

/**
 * Both instances' settings. Links in an email name one public address whichever instance writes them, as
 * behind one Azure host name (ACS refuses a repeated Operation-Id with other content); the lifecycle's
 * Durable queues give a killed instance's work back after 5 s.
 */
const common = (publicUrl) => ({
  CLICK_LINK_SECRET: CLICK_SECRET,
  PUBLIC_BASE_URL: publicUrl,
  AzureWebJobs_frequencyResends_Disabled: 'true',
  EMAIL_SENDS_PER_SECOND: '40',
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout: '00:00:05',
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout: '00:00:05',
});

/** How many runs of queue function `name` the host has started and not finished (from its verbose output). */
function running(host, name) {
  const out = host.output();
  const count = (re) => (out.match(re) ?? []).length;
  return count(new RegExp(`Executing '${name}'`, 'g')) - count(new RegExp(`Executed '${name}'`, 'g'));
}

/** An API caller on `via` with a token from the providers' identity provider `p`, which both instances trust. */
const callerOn = (p, via, tenant, user, roles) => client(through(p, via), tenant, user, roles);
/** What the fault library calls a host: tokens from `p`, requests to `via`. */
const through = (p, via) => ({ token: (r) => p.token(r), fetch: (path, init) => via.fetch(path, init) });

/** The instance holding a batch of queue function `name` (`a` when both do), once one does. */
const holder = (instances, name) => instances.find((i) => running(i, name) > 0);

async function limitRace(p, [a, b], log) {
  const tenant = crypto.randomUUID();
  await loadOrg(p, tenant, 10);
  const onA = await callerOn(p, a, tenant, 'sam@contoso.test', ['Notifications.Send.Groups']);
  const onB = await callerOn(p, b, tenant, 'sam@contoso.test', ['Notifications.Send.Groups']);
  const answers = await Promise.all(
    Array.from({ length: AT_ONCE }, (_, i) =>
      (i % 2 ? onB : onA)('/api/notifications', { title: 'Race', body: 'At once', groups: [ALL_STAFF] }),
    ),
  );
  const admitted = answers.filter((r) => r.status === 202).length;
  const refused = answers.filter((r) => r.status === 429).length;
  const recorded = (await onB('/api/notifications?pageSize=100')).json.items.length;
  log(`  limit: ${AT_ONCE} at once over A and B: ${admitted} × 202, ${refused} × 429; ${recorded} recorded`);
  const why = [];
  if (admitted !== LIMIT || refused !== AT_ONCE - LIMIT)
    why.push(`limit: ${admitted} admitted and ${refused} refused, not ${LIMIT} and ${AT_ONCE - LIMIT}`);
  if (recorded !== LIMIT) why.push(`limit: ${recorded} notifications recorded, not ${LIMIT}`);
  return { admitted, why };
}

/** An email sent by one instance, cancelled through the other: the cancel must reach the sender. */
async function cancelAcross(p, [a, b], audience, log) {
  const tenant = crypto.randomUUID();
  await loadOrg(p, tenant, audience);
  const id = await publish(through(p, a), tenant, 'email');
  let sender;
  await waitFor(
    'the email send to be under way',
    async () => (await receivedCount(p, tenant, 'email')) >= Math.floor(audience / 7) && (sender = holder([a, b], 'deliverEmail')),
    180_000,
    50,
  );
  const other = sender === a ? b : a;
  const writer = await callerOn(p, other, tenant, 'wendy@contoso.test', ['Messages.Write', 'Reports.Read']);
  const answer = await writer(`/api/messages/${id}/cancel`, undefined, 'POST');
  // 202: accepted and recorded, the lifecycle not there yet (a busy pair of instances); the wait below follows it.
  if (answer.status !== 200 && answer.status !== 202)
    throw new Error(
      `cancel: ${answer.status} ${JSON.stringify(answer.json)}; delivery ${JSON.stringify(await messageDelivery(through(p, a), tenant, id))}, ACS received ${await receivedCount(p, tenant, 'email')}`,
    );
  await waitFor(
    'the email to be cancelled with every recipient accounted for',
    async () => {
      const d = await messageDelivery(through(p, a), tenant, id);
      return d.status === 'Cancelled' && d.resolvedAt !== undefined && d.pending === 0;
    },
    300_000,
    500,
  );
  const d = await messageDelivery(through(p, b), tenant, id);
  const counts = tally(await emailReceipts(p), answer.at + IN_FLIGHT_MS);
  log(
    `  cancel: email to ${audience} sent by ${sender.name}, cancelled through ${other.name}: ACS received ${counts.received}; sent ${d.sent}, cancelled ${d.cancelled}`,
  );
  const why = [];
  if (counts.afterCancel > 0) why.push(`cancel: ${counts.afterCancel} emails more than ${IN_FLIGHT_MS / 1000} s after the cancel`);
  if (counts.duplicates > 0) why.push(`cancel: ${counts.duplicates} people emailed more than once`);
  if (d.cancelled === 0) why.push('cancel: nothing was cancelled, so it proved nothing');
  if (d.sent + d.cancelled + d.failed + d.unconfirmed !== audience)
    why.push(`cancel: the API accounts for ${d.sent + d.cancelled + d.failed + d.unconfirmed} of ${audience}`);
  if (counts.received < d.sent || counts.received > d.sent + d.unconfirmed)
    why.push(`cancel: the API says ${d.sent} sent (${d.unconfirmed} unconfirmed) but ACS received ${counts.received}`);
  return { counts, delivery: d, why };
}

/** A Teams send; kill -9 of the instance holding its batches; the other must finish them. */
async function killHolder(p, [a, b], audience, log) {
  const tenant = crypto.randomUUID();
  await loadOrg(p, tenant, audience);
  const id = await publish(through(p, b), tenant, 'teams');
  let victim;
  await waitFor(
    'the Teams send to be under way',
    async () =>
      (await receivedCount(p, tenant, 'teams')) >= Math.floor(audience / 10) &&
      Boolean((await messageDelivery(through(p, a), tenant, id)).resolvedAt) &&
      (victim = holder([b, a], 'deliverTeams')),
    180_000,
    50,
  );
  await sleep(Math.random() * 500);
  const survivor = victim === a ? b : a;
  const atKill = await receivedCount(p, tenant, 'teams');
  const held = running(victim, 'deliverTeams');
  await killTree(victim);
  const killedAt = Date.now();
  log(`  kill: killed ${victim.name} (kill -9, process tree) holding ${held} Teams batch(es), ${atKill} of ${audience} received`);
  const delivery = () => messageDelivery(through(p, survivor), tenant, id);
  await waitFor(
    `every recipient to have an outcome on ${survivor.name}`,
    async () => {
      const d = await delivery();
      return d.resolvedAt !== undefined && d.pending === 0;
    },
    600_000,
    500,
  );
  const doneS = (Date.now() - killedAt) / 1000;
  const d = await delivery();
  const counts = tally(await teamsReceipts(p, tenant));
  const { misses, why } = killVerdict({ audience, delivery: d, counts, resendable: false });
  if (atKill >= audience) why.push('the kill came after the send had finished: it proved nothing');
  return { counts, delivery: d, misses, atKill, doneS, survivor, why: why.map((w) => `kill: ${w}`) };
}

export default {
  name: 'two-instances',
  title: 'two instances over one storage: limits, cancel across them, one killed mid-send',
  async run({ root, users, short, log }) {
    const { startAzurite, startHost, freePort } = await import('@herald/devhost/testing');
    const azurite = await startAzurite();
    onCleanup(() => azurite.stop());
    // Enough people for several batches (≤ 990 each), so both instances may take part in one send.
    const audience = short ? Math.max(users, 2500) : users;
    const providers = await startProviders(startHost, azurite.connectionString);
    onCleanup(() => providers.stop());
    // A's address stands for the app's one public address (a load balancer's on Azure).
    const portA = await freePort();
    const env = { ...common(`http://localhost:${portA}`), ...providersOf(root, providers) };
    // Verbose, so each one's output says which batches it is running (devhost's Executing/Executed lines).
    const boot = async (name, port) => {
      const host = await startHost({
        port,
        app: root,
        settings: SETTINGS,
        storage: azurite.connectionString,
        startTimeoutMs: 120_000,
        verbose: true,
        env: { ...env, DEVHOST_STANDINS_DIR: mkdtempSync(join(tmpdir(), 'herald-faults-instance-')) },
      });
      onCleanup(() => host.stop());
      return Object.assign(host, { name });
    };
    const instances = [await boot('A', portA), await boot('B')];
    log(`  instances A ${instances[0].url} and B ${instances[1].url} over one Azurite; providers at ${providers.url}`);

    const limit = await limitRace(providers, instances, log);
    const cancel = await cancelAcross(providers, instances, audience, log);
    const kill = await killHolder(providers, instances, audience, log);
    await kill.survivor.stop();
    await providers.stop();
    return report(
      'two-instances',
      {
        audience,
        received: kill.counts.received,
        duplicates: kill.counts.duplicates + cancel.counts.duplicates,
        misses: kill.misses,
        'after-cancel sends': cancel.counts.afterCancel,
        'at kill': kill.atKill,
        sent: kill.delivery.sent,
        unconfirmed: kill.delivery.unconfirmed,
        'done s after kill': kill.doneS,
        'limit admitted': limit.admitted,
        cancelled: cancel.delivery.cancelled,
      },
      [...limit.why, ...cancel.why, ...kill.why],
      log,
    );
  },
};
