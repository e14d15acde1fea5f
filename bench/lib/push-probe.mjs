// Where a push send's time goes, measured piece by piece from the bench process with the app's own built
// modules, so that each piece's client half runs here and its server half in devhost or Azurite, and the CPU
// of each process can be read apart:
// - one provider send: adapters/services/pushProviders.js `sendPush` (the real firebase-admin and node-apn, configured as Herald
//   configures them) against devhost's FCM/APNs stand-in, in 99-device chunks as the batch worker sends them;
// - the two halves of resolving a group send: paging the group's members out of the Graph stand-in
//   (adapters/services/graphDirectory.js) and scanning the tenant's devices (adapters/stores/deviceStore.js `pushableDevicesIn`).
import { cpuSeconds, waitSeconds } from '../../packages/devhost/bench/lib/proc.mjs';
import { pushToken } from './push-devices.mjs';

/** The environment adapters/services/pushProviders.ts reads, as test/integration/herald/support.ts `startHerald` sets it. */
export const pushSettings = (push) => ({
  PUSH_CONNECT_TO: `127.0.0.1:${push.port}`,
  PUSH_CA_FILE: push.caFile,
  FCM_SERVICE_ACCOUNT_FILE: push.fcm.serviceAccountFile,
  APNS_KEY_FILE: push.apns.keyFile,
  APNS_KEY_ID: push.apns.keyId,
  APNS_TEAM_ID: push.apns.teamId,
  APNS_TOPIC: 'com.contoso.herald',
});

/** CPU seconds (and seconds waiting for a core) of named processes between `start()` and `stop()`. */
function meter(pids) {
  const read = () => Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, [cpuSeconds(pid), waitSeconds(pid)]]));
  const before = read();
  const t0 = performance.now();
  return () => {
    const after = read();
    const ms = performance.now() - t0;
    const cpu = Object.fromEntries(Object.keys(pids).map((n) => [n, after[n][0] - before[n][0]]));
    const waited = Object.fromEntries(Object.keys(pids).map((n) => [n, after[n][1] - before[n][1]]));
    return { ms, cpu, waited };
  };
}

async function pool(items, concurrency, worker) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await worker(items[next++]);
    }),
  );
}

/**
 * Sends `count` notifications to fresh devices of one platform through `sendPush`, `concurrency` 99-device
 * chunks at a time (the batch worker's chunk; several batches run at once in devhost). Returns the rate and
 * the CPU each side spent per send: `client` (this process: the provider library, TLS, HTTP) and `standIn`
 * (devhost: the stand-in's TLS, HTTP, checks and journal).
 */
export async function probeSends(sendPush, { platform, count, concurrency, devhostPid, salt }) {
  const targets = Array.from({ length: count + 99 }, (_, i) => ({
    id: `probe-${platform}-${i}`,
    platform,
    token: pushToken(platform, salt, i),
  }));
  const chunks = [];
  for (let i = 0; i < targets.length; i += 99) chunks.push(targets.slice(i, i + 99));
  const content = { notificationId: `probe-${salt}`, title: 'Probe', body: 'Where does a send go?' };
  // The first chunk pays for the OAuth token, the TLS handshakes and JIT: not measured.
  const warm = await sendPush(content, chunks.shift());
  let failed = [...warm.values()].filter((o) => o.status !== 'sent').length;
  const stop = meter({ client: process.pid, standIn: devhostPid });
  await pool(chunks, concurrency, async (chunk) => {
    const out = await sendPush(content, chunk);
    for (const o of out.values()) if (o.status !== 'sent') failed++;
  });
  const { ms, cpu, waited } = stop();
  const sends = chunks.reduce((s, c) => s + c.length, 0);
  return {
    platform,
    sends,
    failed,
    ms,
    perSecond: (sends / ms) * 1000,
    clientMs: (cpu.client * 1000) / sends,
    standInMs: (cpu.standIn * 1000) / sends,
    waitedMs: { client: (waited.client * 1000) / sends, standIn: (waited.standIn * 1000) / sends },
  };
}

/** Pages the group's members out of the Graph stand-in as resolveNotification does; wall time and CPU per side. */
export async function probeGraph(directory, { tenantId, groupId, devhostPid }) {
  const stop = meter({ client: process.pid, standIn: devhostPid });
  let users = 0;
  let pages = 0;
  for await (const page of directory().groupMembers(tenantId, groupId)) {
    pages++;
    users += page.length;
  }
  return { users, pages, ...stop() };
}

/**
 * Reads every pushable device of the tenant as resolveNotification does: `users`' id ranges
 * (core/notification.js `idRangesFor`), `readers` at a time. Wall time, CPU per side, and when the first
 * range was in (when the first batches could go out).
 */
export async function probeDeviceScan({ pushableDevicesIn }, { idRangesFor, idRangeBounds }, { tenantId, users, readers, azuritePid }) {
  const stop = meter({ client: process.pid, azurite: azuritePid });
  const started = performance.now();
  const ranges = idRangesFor(users);
  let devices = 0;
  let firstRangeMs;
  await pool(
    Array.from({ length: ranges }, (_, r) => r),
    readers,
    async (r) => {
      const found = await pushableDevicesIn(tenantId, idRangeBounds(r, ranges));
      devices += found.length;
      firstRangeMs ??= performance.now() - started;
    },
  );
  return { devices, ranges, firstRangeMs, ...stop() };
}

/**
 * What the batch worker asks of storage for `batches` batches of `size` devices, without sending anything: the
 * snapshot written (resolution's share), then as jobs/delivery/deliverBatch does it — the batch read, the
 * lease taken, each 99-device chunk's outcomes committed with the summary and counted, the lease given back —
 * `concurrency` batches at a time. Wall time and CPU per device on each side.
 */
export async function probeBatchStorage(
  { writeBatch, readBatch, commitBatch, CHUNK_SIZE },
  { count },
  { tenantId, batches, size, concurrency, azuritePid },
) {
  const messageId = Array.from({ length: 21 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  const day = new Date().toISOString().slice(0, 10);
  const refs = Array.from({ length: batches }, (_, batch) => ({ tenantId, messageId, occurrence: 0, batch }));
  const recipients = (batch) =>
    Array.from({ length: size }, (_, i) => ({
      userId: `${String(batch).padStart(4, '0')}${String(i).padStart(28, '0')}`,
      upn: `person.${batch}.${i}@contoso.test`,
      device: { owner: `owner-${batch}-${i}`, platform: i % 5 < 3 ? 'android' : 'ios', token: `token-${batch}-${i}-${'x'.repeat(140)}` },
    }));
  let stop = meter({ client: process.pid, azurite: azuritePid });
  await pool(refs, concurrency, (ref) => writeBatch(ref, 'push', recipients(ref.batch), Date.now()));
  const written = stop();
  stop = meter({ client: process.pid, azurite: azuritePid });
  let commits = 0;
  await pool(refs, concurrency, async (ref) => {
    const state = await readBatch(ref);
    await commitBatch(ref, state, [], Date.now() + 120_000, Date.now());
    const rows = [...state.rows.values()];
    for (let i = 0; i < rows.length; i += CHUNK_SIZE) {
      const at = Date.now();
      const changed = rows.slice(i, i + CHUNK_SIZE).map((d) => ({ ...d, status: 'sent', attempts: 1, sentAt: new Date(at).toISOString() }));
      await commitBatch(ref, state, changed, Date.now() + 120_000, at);
      commits++;
      const { sent, failed } = state.summary;
      await count(tenantId, messageId, { kind: 'batch', occurrence: 0, batch: ref.batch, channel: 'push', day, sent, failed });
    }
    await commitBatch(ref, state, [], 0, Date.now());
  });
  const worked = stop();
  const devices = batches * size;
  const per = (m) => ({
    ms: m.ms,
    clientUs: (m.cpu.client * 1e6) / devices,
    azuriteUs: (m.cpu.azurite * 1e6) / devices,
  });
  return {
    devices,
    commits,
    written: per(written),
    worked: per(worked),
    /** Azurite's CPU for one chunk's commit and count (the batch read and lease spread over the chunks). */
    azuriteMsPerChunk: (worked.cpu.azurite * 1000) / commits,
  };
}
