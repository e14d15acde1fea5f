// Actions relayed per second: Herald's action endpoint flow (functions/http/actionableActionFlow.ts, as built
// in dist/) on an in-memory action store, validating an Entra-shaped Outlook token (RS256 by kid, every claim
// rule), relaying to a provider on 127.0.0.1 over real HTTP with Herald's signed JWS, and re-binding the
// refresh card it answers with — against a same-run baseline of the bare token validation. 50 concurrent
// clicks, each on its own button (a fresh limited-purpose token and Action-Request-Id). Target: p99 under
// 2 s (Outlook's auto-invoke limit). Prints figures and PASS/MISS; exits 0 either way (1 on a crash).
//
// In process, without devhost: devhost's stand-in issuer mints no Outlook Actions-app token, so the bench
// signs its own with a key it makes. Table storage is left out (it is the same conditional insert a send's
// delivery rows use); run `npm run build` first.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';

process.env.CLICK_LINK_SECRET ??= 'bench-click-link-secret-0123456789abcdef';
process.env.AZURE_FUNCTIONS_ENVIRONMENT ??= 'Development'; // Herald's signing key is made at start
process.env.PUBLIC_BASE_URL ??= 'https://herald.bench.test';

const dist = new URL('../dist/', import.meta.url);
const { createActionEndpoint } = await import(new URL('functions/http/actionableActionFlow.js', dist));
const { createActionTokenValidator, bearerOf } = await import(new URL('adapters/runtime/actionTokenValidator.js', dist));
const { actionToken, actionUrl, readActionToken } = await import(new URL('adapters/runtime/actionLinks.js', dist));
const { createProviderRelay } = await import(new URL('adapters/services/providerRelay.js', dist));
const { signForProvider } = await import(new URL('adapters/runtime/heraldSigningKey.js', dist));
const { ACTIONS_APP_ID } = await import(new URL('core/actionToken.js', dist));

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const TENANT = '72f98bf1-86f1-41af-91ab-2d7cd011db47';
const provider = {
  id: '3f2b0000-0000-4000-8000-000000000001',
  tenantId: TENANT,
  entraAppId: '11111111-2222-4333-8444-555555555555',
  appIdUri: 'api://auth-am-3f2b0000-0000-4000-8000-000000000001/11111111-2222-4333-8444-555555555555',
  status: 'Approved',
  targetUrls: ['https://api.bench.test/am'],
};
const send = {
  id: '0000000000000000000ab',
  tenantId: TENANT,
  providerId: provider.id,
  appId: provider.entraAppId,
  sender: 'svc@contoso.test',
  subject: 'x',
  recipients: [{ address: 'ana@contoso.test', kind: 'to', tenantId: TENANT }],
  createdAt: new Date().toISOString(),
};
const refresh = JSON.stringify({
  type: 'AdaptiveCard',
  version: '1.0',
  originator: provider.id,
  body: [{ type: 'TextBlock', text: 'Acknowledged' }],
  actions: [{ type: 'Action.Http', title: 'Undo', method: 'POST', url: 'https://api.bench.test/am/undo', body: '{}' }],
});

// The provider, in its own process as it would be: verifies nothing (its cost is its own), answers a refresh card.
const providerCode = `
  const { createServer } = require('node:http');
  const refresh = ${JSON.stringify(refresh)};
  const server = createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200, { 'card-action-status': 'Recorded.', 'card-update-in-body': 'true', 'content-type': 'application/json' }).end(refresh)); });
  server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;
const child = spawn(process.execPath, ['-e', providerCode], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve, reject) => {
  child.stdout.once('data', (d) => resolve(Number(String(d).trim())));
  child.once('exit', (code) => reject(new Error(`the provider exited (${code})`)));
});
const providerUrl = `http://127.0.0.1:${port}/am/ack`;

const { privateKey, publicKey } = await generateKeyPair('RS256');
const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] });
const validator = createActionTokenValidator({
  keysFor: () => jwks,
  jwksAddress: () => 'local',
  issuers: () => ['https://sts.windows.net/{tenantid}/'],
  scopes: () => [],
  now: Date.now,
});
const bearer = await new SignJWT({
  aud: provider.appIdUri,
  iss: `https://sts.windows.net/${TENANT}/`,
  appid: ACTIONS_APP_ID,
  scp: 'Global.Test',
  tid: TENANT,
  upn: 'ana@contoso.test',
})
  .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
  .setIssuedAt()
  .setExpirationTime('2h')
  .sign(privateKey);

const claims = new Map();
const handle = createActionEndpoint({
  readToken: readActionToken,
  linkFor: (l) => actionUrl(actionToken(l)),
  bearer: bearerOf,
  validator,
  store: {
    getSend: async () => send,
    claimToken: async (t) => !claims.has(t) && !!claims.set(t, null),
    releaseToken: async (t) => void claims.delete(t),
    answerToken: async (t, a) => void claims.set(t, a),
    tokenAnswer: async (t) => claims.get(t) ?? undefined,
    claimRequest: async (r) => !claims.has(r) && !!claims.set(r, null),
    answerRequest: async (r, a) => void claims.set(r, a),
    requestAnswer: async (r) => claims.get(r) ?? undefined,
  },
  providers: { findByOriginator: async () => provider },
  relay: createProviderRelay({ sign: signForProvider, issuer: () => 'https://herald.bench.test', fetch, now: Date.now, timeoutMs: 1500 }),
  now: Date.now,
  log: () => undefined,
});

async function run(label, once) {
  const latencies = [];
  let failures = 0;
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        const t0 = performance.now();
        const ok = await once();
        latencies.push(performance.now() - t0);
        if (!ok) failures++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  const perSecond = latencies.length / SECONDS;
  console.log(
    `${label}: ${perSecond.toFixed(0)}/s, p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, ${failures} failed of ${latencies.length}`,
  );
  return { perSecond, p99: q(0.99), failures };
}

try {
  const base = await run('baseline (bearer token validation only)', async () => {
    const actor = await validator.validate(bearer, { tenantId: TENANT, audiences: [provider.appIdUri] });
    return actor.upn === 'ana@contoso.test';
  });
  const relay = await run('relay (validation + relay + refresh card)', async () => {
    const token = actionToken({
      tenantId: TENANT,
      sendId: send.id,
      recipient: 'ana@contoso.test',
      url: providerUrl,
      method: 'POST',
      kind: 'click',
    });
    const headers = new globalThis.Headers({
      authorization: `Bearer ${bearer}`,
      'action-request-id': randomUUID(),
      'content-type': 'application/json',
    });
    const a = await handle({ token, method: 'POST', headers, body: '{"comment":"ok"}' });
    return a.status === 200 && a.headers['card-update-in-body'] === 'true';
  });
  console.log(`relay throughput is ${((relay.perSecond / base.perSecond) * 100).toFixed(0)} % of the bare validation's`);
  console.log(
    `${relay.p99 < 2000 && relay.failures === 0 ? 'PASS' : 'MISS'}: p99 ${relay.p99.toFixed(0)} ms at ${CONCURRENCY} concurrent clicks (target < 2000 ms, no failures)`,
  );
} finally {
  child.kill();
  console.log('cleanup: the provider process is stopped');
}
console.log(
  `load average while it ran: ${(await import('node:os')).loadavg()[0].toFixed(1)} on ${(await import('node:os')).cpus().length} cores`,
);
