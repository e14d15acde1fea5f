// Devices for the push benchmark: one per user, Android or iOS in a fixed proportion, with push tokens shaped
// like the providers' (an FCM registration token; an APNs device token of 64 hex digits), registered through
// the app's own adapters/stores/deviceStore.js `registerDevice` from the bench process, as `POST /api/devices`
// would register them but without N HTTP requests.
import { createHash } from 'node:crypto';

const digest = (...parts) => createHash('sha256').update(parts.join('\u0000'));

/**
 * Whether device `i` is Android, spreading `androidShare` evenly over the sequence (0.6: A A I A I, …) so
 * that every prefix of the list — and so every resolution batch — has about the same mix.
 */
const isAndroid = (i, androidShare) => Math.floor((i + 1) * androidShare) > Math.floor(i * androidShare);

/**
 * A push token unique to (`salt`, `i`): FCM registration tokens are ~150–170 characters of `[A-Za-z0-9_:-]`
 * around a `:APA91b` marker; APNs device tokens are 32 bytes written as 64 hex digits (lower case, as the
 * stand-in stores them).
 */
export function pushToken(platform, salt, i) {
  if (platform === 'ios') return digest(salt, 'ios', i).digest('hex');
  const body = [0, 1, 2].map((k) => digest(salt, 'fcm', i, k).digest('base64url')).join('');
  return `${digest(salt, 'fcm-id', i).digest('base64url').slice(0, 22)}:APA91b${body}`;
}

/** The device plan for `users` (directory users with `id` and `userPrincipalName`). */
export function planDevices(users, { salt, androidShare }) {
  return users.map((u, i) => {
    const platform = isAndroid(i, androidShare) ? 'android' : 'ios';
    return { userId: u.id, upn: u.userPrincipalName, platform, pushToken: pushToken(platform, salt, i) };
  });
}

/**
 * Registers every planned device with `registerDevice` (the built adapter), `concurrency` at a time; calls
 * `progress(done, elapsedMs)` now and then. Returns the devices as registered (with their ids) and the time taken.
 */
export async function registerAll(registerDevice, tenantId, plan, { concurrency, progress = () => {} }) {
  const at = new Date().toISOString();
  const out = new Array(plan.length);
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  let reported = t0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, plan.length) }, async () => {
      while (next < plan.length) {
        const i = next++;
        const p = plan[i];
        const { device, created } = await registerDevice(
          tenantId,
          { userId: p.userId, upn: p.upn },
          { platform: p.platform, pushToken: p.pushToken, appVersion: '5.1.0', enrolled: true },
          at,
        );
        if (!created) throw new Error(`device ${i} (${p.platform}) was registered already: push tokens must be unique`);
        out[i] = device;
        done++;
        if (performance.now() - reported >= 10_000) {
          reported = performance.now();
          progress(done, reported - t0);
        }
      }
    }),
  );
  return { devices: out, ms: performance.now() - t0 };
}
