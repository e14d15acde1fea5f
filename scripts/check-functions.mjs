// `npm run check:functions` (a step of .ci/run): would the real Functions host load Herald? host.json against
// the host's schema, local.settings.sample.json as Core Tools reads it, and every function indexed through
// `@azure/functions` as the Node worker indexes it — each HTTP route of the route registry, each Durable
// orchestration and activity and each queue hop registered once, with bindings the host knows. Run after
// `npm run build`; `--app <dir>` checks another app (its own registries are then not cross-checked).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkBundleForDurable, checkHostJson, checkLocalSettings, checkRegistrations, indexApp } from './functionsCheck.mjs';

const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log('usage: node scripts/check-functions.mjs [--app <dir>]   (default: this repository, built)');
  process.exit(0);
}
const appAt = args.indexOf('--app');
const appDir = path.resolve(appAt >= 0 ? args[appAt + 1] : '.');
const own = appAt < 0;
const readJson = (file) => JSON.parse(readFileSync(path.join(appDir, file), 'utf8'));

const problems = [];
const hostJson = readJson('host.json');
problems.push(...checkHostJson(hostJson), ...checkBundleForDurable(hostJson, readJson('package.json')));
const settingsFile = own ? 'local.settings.sample.json' : 'local.settings.json';
let settings;
try {
  settings = readJson(settingsFile);
  problems.push(...checkLocalSettings(settings, settingsFile));
} catch (error) {
  if (own) problems.push(`${settingsFile}: ${error.message}`);
}

// The worker loads the app with its settings in the environment. devhost's references (%DEVHOST_…%) are
// what it would supply for a host on port 7071; nothing is called while the app indexes.
const DEVHOST = {
  DEVHOST_IDENTITY_AUTHORITY: 'http://127.0.0.1:7071/devhost/identity',
  DEVHOST_IDENTITY_JWKS_URI: 'http://127.0.0.1:7071/devhost/identity/discovery/v2.0/keys',
  DEVHOST_GRAPH_ENDPOINT: 'http://127.0.0.1:7071/devhost/graph',
  DEVHOST_ACS_CONNECTION_STRING: 'endpoint=http://127.0.0.1:7071/devhost/acs/;accesskey=ZGV2aG9zdA==',
  DEVHOST_PUSH_CONNECT_TO: '127.0.0.1:7443',
  DEVHOST_PUSH_CA_FILE: '.devhost/push/ca.pem',
  DEVHOST_PUSH_FCM_SERVICE_ACCOUNT_FILE: '.devhost/push/fcm-service-account.json',
  DEVHOST_PUSH_APNS_KEY_FILE: '.devhost/push/apns-key.p8',
  DEVHOST_PUSH_APNS_KEY_ID: 'DEVHOSTKEY',
  DEVHOST_PUSH_APNS_TEAM_ID: 'DEVHOSTTM1',
};
for (const [name, value] of Object.entries(settings?.Values ?? {}))
  process.env[name] ??= String(value).replace(/%(DEVHOST_[A-Z_]+)%/g, (_, ref) => DEVHOST[ref] ?? '');
process.env.AZURE_FUNCTIONS_ENVIRONMENT ??= 'Development';

let indexed;
try {
  indexed = await indexApp(appDir);
} catch (error) {
  problems.push(`the app did not load: ${error.message}`);
}

if (indexed) {
  const expected = [];
  if (own) {
    const at = (file) => import(pathToFileURL(path.join(appDir, 'dist', file)).href);
    const { API_PREFIX, declaredRoutes, METHODS } = await at('functions/http/routes.js');
    for (const r of declaredRoutes())
      expected.push({
        what: `route ${r.route}`,
        name: r.name,
        trigger: 'httpTrigger',
        fields: { route: `${API_PREFIX}/${r.route}`, methods: METHODS.filter((m) => r.operations[m]) },
      });
    const hops = await at('core/hops.js');
    for (const hop of Object.values(hops).filter((h) => h && typeof h === 'object' && 'kind' in h && 'name' in h)) {
      if (hop.kind === 'orchestration')
        expected.push({ what: `orchestration ${hop.name}`, name: hop.name, trigger: 'orchestrationTrigger' });
      if (hop.kind === 'activity') expected.push({ what: `activity ${hop.name}`, name: hop.name, trigger: 'activityTrigger' });
      if (hop.kind === 'queue') expected.push({ what: `queue ${hop.name}`, trigger: 'queueTrigger', fields: { queueName: hop.name } });
    }
  }
  problems.push(...checkRegistrations(indexed, { routePrefix: hostJson.extensions?.http?.routePrefix ?? 'api', expected }));
  const kinds = {};
  for (const fn of indexed.registered) {
    const trigger = Object.values(fn.bindings).find((b) => /trigger$/i.test(b.type)).type;
    kinds[trigger] = (kinds[trigger] ?? 0) + 1;
  }
  console.log(
    `${indexed.registered.length} functions indexed: ${Object.entries(kinds)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}${own ? `; ${expected.length} expected by Herald's registries` : ''}`,
  );
}

if (problems.length) {
  console.error(`The Functions host would not load ${appDir} as it is:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('host.json, the settings file and every function are as the Functions host and its Node worker expect.');
