// The calls the Herald benchmarks make to a devhost they started: its stand-ins' control APIs, the API as a
// user with roles, and stopping it at cleanup (killed if it takes more than 15 s).
import { onCleanup } from '../../packages/devhost/bench/lib/cleanup.mjs';
import { AUDIENCE } from './herald.mjs';

/** The JSON answer, or an error naming the call with the start of its body. */
export async function json(res, what) {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: ${res.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * `control(path, method, body)` and `client(tenant, user, roles)` for the host `getHost()` returns when called.
 * With `getProviders`, the stand-ins (their control APIs and the identity provider that signs the tokens) are
 * that other host's, as when they run in a devhost of their own (lib/providers.mjs).
 */
export function hostCalls(getHost, getProviders = getHost) {
  const call = (to, path, method, body, headers = {}) =>
    to()
      .fetch(path, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      .then((res) => json(res, `${method} ${path}`));
  const control = (path, method = 'GET', body) => call(getProviders, path, method, body);
  async function client(tenant, user, roles) {
    const token = await getProviders().token({ tenant, user, roles, audience: AUDIENCE, expiresIn: '4h' });
    return (path, body) => call(getHost, path, body === undefined ? 'GET' : 'POST', body, { authorization: `Bearer ${token}` });
  }
  return { control, client };
}

/** Stops the host when the benchmark cleans up. */
export function stopAtCleanup(host) {
  onCleanup(async () => {
    const timer = setTimeout(() => host.kill(), 15_000);
    const code = await host.stop();
    clearTimeout(timer);
    if (code !== 0) console.warn(`devhost exited with code ${code}`);
  });
}
