// What the fault scenarios (bench/faults/*.mjs) share: Herald on devhost over one Azurite that outlives the
// hosts, kill -9 of a host's process tree and a restart over the same storage and stand-in state, a
// directory of N people, messages published through the real API, and what the providers' stand-ins
// received, per recipient.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from '../../packages/devhost/bench/lib/cleanup.mjs';

export const AUDIENCE = 'api://herald';
export const ALL_STAFF = '0b0b0b0b-0000-4000-8000-00000000f001';
const CLICK_SECRET = 'fault-suite-click-link-secret-0123456789';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy; throws naming `what` after `timeoutMs`. */
export async function waitFor(what, probe, timeoutMs = 120_000, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The process and every descendant (from /proc), deepest first: what kill -9 of a process tree reaches. */
function processTree(pid) {
  const out = [];
  const walk = (p) => {
    let children = [];
    try {
      children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      // gone already
    }
    for (const c of children) walk(c);
    out.push(p);
  };
  walk(pid);
  return out;
}

/** SIGKILL to a host's whole process tree, as a crash; resolves once it is gone. */
export async function killTree(host) {
  for (const pid of processTree(host.process.pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await host.kill();
}

/**
 * One scenario's world: a fresh Azurite (memory) kept across the hosts it starts, a stand-in state directory
 * kept across them too (what a provider received survives the host), and `boot()` / `crash()` for the host.
 */
export async function startWorld(root, { env = {} } = {}) {
  const { startAzurite, startHost } = await import('@herald/devhost/testing');
  const azurite = await startAzurite();
  onCleanup(() => azurite.stop());
  const stateDir = mkdtempSync(join(tmpdir(), 'herald-faults-'));
  let host;
  // The same port on every restart, as a deployed app keeps its host name: links in an email resent after a
  // crash must be the same, or ACS refuses the repeated Operation-Id as another email.
  let port;
  const world = {
    storage: azurite.connectionString,
    get host() {
      return host;
    },
    async boot(more = {}) {
      host = await startHost({
        app: root,
        settings: 'local.settings.sample.json',
        storage: azurite.connectionString,
        startTimeoutMs: 120_000,
        ...(port ? { port } : {}),
        env: {
          CLICK_LINK_SECRET: CLICK_SECRET,
          AzureWebJobs_frequencyResends_Disabled: 'true',
          DEVHOST_STANDINS_DIR: stateDir,
          // The lifecycle's Durable queues give a killed host's work back after 5 s rather than 5 minutes.
          // Delivery's own queues keep devhost's default (10 minutes, as the Queues extension): a batch resumes
          // within seconds through Herald's resume sweep, or not at all.
          AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout: '00:00:05',
          AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout: '00:00:05',
          ...env,
          ...more,
        },
      });
      port = Number(new URL(host.url).port);
      const h = host;
      onCleanup(() => h.stop());
      return host;
    },
    /** SIGKILL to the host's whole process tree, as a crash; resolves once it is gone. */
    async crash() {
      await killTree(host);
    },
    async stop() {
      await host?.stop();
    },
  };
  return world;
}

/** Calls the API as a user of `tenant` holding `roles`; answers { status, json, at } (at: when the answer came). */
export async function client(host, tenant, user, roles) {
  const token = await host.token({ tenant, user, roles, audience: AUDIENCE, expiresIn: '1d' });
  return async (path, body, method) => {
    const res = await host.fetch(path, {
      method: method ?? (body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, at: Date.now() };
  };
}

/** `count` people, all in one group, in the Graph stand-in. */
export async function loadOrg(host, tenant, count) {
  const users = Array.from({ length: count }, (_, i) => ({ userPrincipalName: `p${i}@contoso.test`, mail: `p${i}@contoso.test` }));
  const res = await host.fetch(`/devhost/graph/_control/tenants/${tenant}/directory`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ users, groups: [{ id: ALL_STAFF, displayName: 'All staff', members: users.map((u) => u.userPrincipalName) }] }),
  });
  if (res.status !== 200) throw new Error(`directory: ${res.status} ${await res.text()}`);
  return users;
}

/**
 * A Teams or email message to the whole group, created and submitted (and approved: a custom Teams message
 * waits for it; email takes a pre-made template, which does not); it starts in ~3 s. Returns its id.
 */
export async function publish(host, tenant, location) {
  const writer = await client(host, tenant, 'wendy@contoso.test', ['Messages.Write', 'Reports.Read']);
  const approver = await client(host, tenant, 'abe@contoso.test', ['Messages.Approve']);
  const start = Date.now() + 3000;
  const words =
    location === 'email'
      ? await (async () => {
          const id = 'email-welcome-assistant';
          const { json } = await writer(`/api/templates?location=email`);
          const objective = json.items.find((i) => i.id === id).objective;
          return { objective, template: { kind: 'premade', id }, content: { callToAction: { url: 'https://intranet.contoso.test/' } } };
        })()
      : {
          objective: 'announcement',
          template: { kind: 'custom' },
          content: { title: 'All hands', body: 'Friday at 10:00 in the atrium.' },
        };
  const created = await writer('/api/messages', {
    name: `Fault suite ${location}`,
    location,
    ...words,
    audience: { groups: [ALL_STAFF] },
    schedule: { start: new Date(start).toISOString(), end: new Date(start + 86_400_000).toISOString(), frequency: 'once' },
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.json)}`);
  const { id } = created.json;
  const submitted = await writer(`/api/messages/${id}/submit`, {});
  if (submitted.status !== 200 && submitted.status !== 202)
    throw new Error(`submit: ${submitted.status} ${JSON.stringify(submitted.json)}`);
  if (created.json.template.kind === 'custom') {
    // Submit answers once the lifecycle has moved the message, or with 202 after its wait runs out (the
    // orchestration may run on another, busier instance): then the message is still Draft for a moment.
    if (submitted.json.status !== 'PendingApproval')
      await waitFor(
        'the message to await approval',
        async () => (await writer(`/api/messages/${id}`)).json.status === 'PendingApproval',
        60_000,
      );
    const approved = await approver(`/api/messages/${id}/approve`, {});
    if (approved.status !== 200 && approved.status !== 202) throw new Error(`approve: ${approved.status} ${JSON.stringify(approved.json)}`);
  }
  return id;
}

/** What `GET /api/messages/{id}/delivery` says of occurrence 0 (undefined before it starts). */
export async function messageDelivery(host, tenant, id) {
  const reader = await client(host, tenant, 'wendy@contoso.test', ['Messages.Write', 'Reports.Read']);
  const { status, json } = await reader(`/api/messages/${id}/delivery`);
  if (status !== 200) throw new Error(`delivery: ${status} ${JSON.stringify(json)}`);
  return { status: json.status, ...json.occurrences[0] };
}

/** Times (epoch ms) each recipient was reached, by recipient, from a list of [recipient, time] receipts. */
const byRecipient = (receipts) => {
  const map = new Map();
  for (const [who, at] of receipts) map.set(who, [...(map.get(who) ?? []), at]);
  return map;
};

/**
 * What the Teams stand-in shows the tenant's people: one feed entry per person and chain, and `replaced`
 * for every further notification on it (each one an alert the person got again).
 */
export async function teamsReceipts(host, tenant) {
  const res = await host.fetch(`/devhost/graph/_control/teams/feed?tenant=${tenant}`);
  const { entries } = await res.json();
  const receipts = [];
  for (const e of entries) for (let k = 0; k <= e.replaced; k++) receipts.push([e.userId, Date.parse(e.receivedAt)]);
  return byRecipient(receipts);
}

/** Every email the ACS stand-in accepted, by recipient address. */
export async function emailReceipts(host) {
  const { emails } = await (await host.fetch('/devhost/acs/_control/emails')).json();
  return byRecipient(emails.flatMap((e) => e.to.map((t) => [t.address, Date.parse(e.time)])));
}

/** Every notification the FCM and APNs stand-ins accepted, by device token. */
export async function pushReceipts(host) {
  const { notifications } = await (await host.fetch('/devhost/push/_control/received')).json();
  return byRecipient(notifications.filter((r) => r.token).map((r) => [r.token, Date.parse(r.time)]));
}

/** How many recipients got something, how many more than once (and how many extra), and receipts after `after`. */
export function tally(receipts, after = Infinity) {
  let duplicates = 0;
  let extra = 0;
  let afterCancel = 0;
  for (const times of receipts.values()) {
    if (times.length > 1) {
      duplicates++;
      extra += times.length - 1;
    }
    afterCancel += times.filter((t) => t > after).length;
  }
  return { received: receipts.size, duplicates, extra, afterCancel, total: [...receipts.values()].reduce((n, t) => n + t.length, 0) };
}

/** The build's modules (dist/), for what the scenarios set up behind the API (devices). */
export const loadBuilt = (root, file) => import(join(root, 'dist', file));

/** The newest git commit, for the report's header. */
export function revision(root) {
  try {
    return execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** How many sends the channel's stand-in accepted in all (cheap to poll). */
export async function receivedCount(host, tenant, channel) {
  if (channel === 'teams')
    return (await (await host.fetch(`/devhost/graph/_control/teams/feed?tenant=${tenant}&user=nobody`)).json()).stats.notifications;
  if (channel === 'email') return (await (await host.fetch('/devhost/acs/_control/counts')).json()).received;
  const counts = await (await host.fetch('/devhost/push/_control/counts')).json();
  return counts.fcm.received + counts.apns.received;
}

/** A resume slower than this after a restart fails the scenario (the lease lapses in 10 s, the sweep runs every 5). */
export const RESUME_LIMIT_S = 20;

/**
 * The verdict of a kill: nobody reached twice; every recipient has an outcome; what the API calls sent
 * arrived, and whoever did not get it is one the API calls unconfirmed (zero of them where the provider
 * drops repeats); delivery resumed soon after the restart.
 */
export function killVerdict({ audience, delivery, counts, resumeS, resendable }) {
  const misses = audience - counts.received;
  const why = [];
  if (counts.duplicates > 0) why.push(`${counts.duplicates} recipients reached more than once`);
  if (delivery.pending !== 0) why.push(`${delivery.pending} still pending`);
  if (delivery.failed !== 0) why.push(`${delivery.failed} failed`);
  if (delivery.sent + delivery.unconfirmed !== audience)
    why.push(`sent ${delivery.sent} + unconfirmed ${delivery.unconfirmed} ≠ audience ${audience}`);
  if (counts.received < delivery.sent) why.push(`the API says ${delivery.sent} sent but the provider received ${counts.received}`);
  if (misses > delivery.unconfirmed) why.push(`${misses} missed but only ${delivery.unconfirmed} reported unconfirmed`);
  if (resendable && delivery.unconfirmed > 0) why.push(`${delivery.unconfirmed} unconfirmed on a provider that drops repeats`);
  if (resumeS !== undefined && resumeS > RESUME_LIMIT_S)
    why.push(`resumed ${resumeS.toFixed(1)} s after the restart (limit ${RESUME_LIMIT_S} s)`);
  return { misses, why };
}

/**
 * Kills the host once the send is under way (at least `atLeast` received, the audience resolved), restarts
 * it (after a random pause of up to `jitterMs`, so the kill lands anywhere in a request), and measures how long after the restart the provider hears from Herald again. `done()` says
 * whether the delivery is over, `state()` what it reports.
 */
export async function killDuringSend(world, { tenant, channel, audience, atLeast, resolved, done, log, jitterMs = 500 }) {
  await waitFor(
    'the send to start',
    async () => (await receivedCount(world.host, tenant, channel)) >= atLeast && (await resolved()),
    180_000,
    50,
  );
  // At a random moment of the send, not just as a request ends.
  await sleep(Math.random() * jitterMs);
  const atKill = await receivedCount(world.host, tenant, channel);
  await world.crash();
  log(`  killed the host (kill -9, process tree) with ${atKill} of ${audience} received`);
  const t0 = Date.now();
  await world.boot();
  const ready = Date.now();
  log(`  restarted in ${((ready - t0) / 1000).toFixed(1)} s`);
  let resumeS;
  if (!(await done())) {
    await waitFor(
      'delivery to resume',
      async () => (await receivedCount(world.host, tenant, channel)) > atKill || (await done()),
      120_000,
      100,
    );
    if ((await receivedCount(world.host, tenant, channel)) > atKill) resumeS = (Date.now() - ready) / 1000;
  }
  await waitFor('every recipient to have an outcome', done, 600_000, 500);
  return { atKill, resumeS };
}

/** One line of counts and the verdict, as every scenario prints it. */
export function report(name, counts, why, log) {
  const fields = Object.entries(counts)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : v}`)
    .join(', ');
  const verdict = why.length ? 'FAIL' : 'PASS';
  log(`${name}: ${fields} — ${verdict}${why.length ? `: ${why.join('; ')}` : ''}`);
  return { verdict, counts, why };
}

/** kill -9 in the middle of a Teams or email message's send, restart, and check what the people got. */
export async function messageKill({ root, users, log, name, channel, env }) {
  const world = await startWorld(root, { env });
  try {
    const host = await world.boot();
    const tenant = crypto.randomUUID();
    await loadOrg(host, tenant, users);
    const id = await publish(host, tenant, channel);
    const delivery = () => messageDelivery(world.host, tenant, id);
    const { atKill, resumeS } = await killDuringSend(world, {
      tenant,
      channel,
      audience: users,
      atLeast: Math.max(1, Math.floor(users / 10)),
      resolved: async () => Boolean((await delivery()).resolvedAt),
      done: async () => {
        const d = await delivery();
        return d.resolvedAt !== undefined && d.pending === 0;
      },
      log,
    });
    const d = await delivery();
    const counts = tally(channel === 'teams' ? await teamsReceipts(world.host, tenant) : await emailReceipts(world.host));
    const { misses, why } = killVerdict({ audience: users, delivery: d, counts, resumeS, resendable: channel === 'email' });
    if (atKill >= users) why.push('the kill came after the send had finished: it proved nothing');
    return report(
      name,
      {
        audience: users,
        received: counts.received,
        duplicates: counts.duplicates,
        misses,
        'after-cancel sends': '–',
        'at kill': atKill,
        sent: d.sent,
        unconfirmed: d.unconfirmed,
        'resume s': resumeS,
      },
      why,
      log,
    );
  } finally {
    await world.stop();
  }
}

/** Pause between a provider call that started before a cancel and its end: the in-flight slice allowed. */
export const IN_FLIGHT_MS = 2000;

/**
 * Cancels a Teams or email message once its send is under way (optionally killing the host while the
 * cancel is on its way, then cancelling again after the restart, as the user would), and checks that no
 * send started after the cancel beyond the slice in flight, that the API's counts are what the provider
 * received, and that the message ends Cancelled.
 */
export async function messageCancel({ root, users, log, name, channel, env, kill }) {
  const world = await startWorld(root, { env });
  try {
    const host = await world.boot();
    const tenant = crypto.randomUUID();
    await loadOrg(host, tenant, users);
    const id = await publish(host, tenant, channel);
    const writer = () => client(world.host, tenant, 'wendy@contoso.test', ['Messages.Write', 'Reports.Read']);
    const delivery = () => messageDelivery(world.host, tenant, id);
    await waitFor(
      'the send to start',
      async () => (await receivedCount(world.host, tenant, channel)) >= Math.max(1, Math.floor(users / 7)),
      180_000,
      50,
    );
    const cancel = async () => (await writer())(`/api/messages/${id}/cancel`, undefined, 'POST');
    let cancelledAt;
    if (kill) {
      const first = cancel().catch(() => undefined);
      await sleep(Math.random() * 300);
      await world.crash();
      const answered = await first;
      // 202 too: the cancel is recorded before either answer; 202 only says the lifecycle had not caught up yet.
      const accepted = answered?.status === 200 || answered?.status === 202;
      log(`  killed the host (kill -9, process tree) ${accepted ? 'after' : 'before'} the cancel was answered`);
      if (accepted) cancelledAt = answered.at;
      await world.boot();
    }
    if (cancelledAt === undefined) {
      const answer = await cancel();
      if (answer.status !== 200 && answer.status !== 202 && !(kill && answer.status === 409))
        throw new Error(`cancel: ${answer.status} ${JSON.stringify(answer.json)}`);
      cancelledAt = answer.at;
    }
    await waitFor(
      'the message to be cancelled and every recipient to have an outcome',
      async () => {
        const d = await delivery();
        return d.status === 'Cancelled' && d.resolvedAt !== undefined && d.pending === 0;
      },
      300_000,
      500,
    );
    const d = await delivery();
    const counts = tally(
      channel === 'teams' ? await teamsReceipts(world.host, tenant) : await emailReceipts(world.host),
      cancelledAt + IN_FLIGHT_MS,
    );
    const why = [];
    if (counts.afterCancel > 0) why.push(`${counts.afterCancel} sends more than ${IN_FLIGHT_MS / 1000} s after the cancel was accepted`);
    if (counts.duplicates > 0) why.push(`${counts.duplicates} recipients reached more than once`);
    if (d.sent + d.cancelled + d.failed + d.unconfirmed !== users)
      why.push(`the API accounts for ${d.sent + d.cancelled + d.failed + d.unconfirmed} of ${users}`);
    if (d.cancelled === 0) why.push('nothing was cancelled: the cancel came too late to prove anything');
    if (counts.received < d.sent || counts.received > d.sent + d.unconfirmed)
      why.push(`the API says ${d.sent} sent (${d.unconfirmed} unconfirmed) but the provider received ${counts.received}`);
    return report(
      name,
      {
        audience: users,
        received: counts.received,
        duplicates: counts.duplicates,
        misses: '–',
        'after-cancel sends': counts.afterCancel,
        sent: d.sent,
        cancelled: d.cancelled,
        unconfirmed: d.unconfirmed,
      },
      why,
      log,
    );
  } finally {
    await world.stop();
  }
}
