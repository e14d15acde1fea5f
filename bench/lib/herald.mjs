// What the Herald benchmarks share: loading the built modules, and the settings Herald runs with on devhost
// (as test/integration/herald/support.ts gives them to the test host).
import { join } from 'node:path';

export const AUDIENCE = 'api://herald';

/** A module of the build (`dist/`), with a clear message when the build is missing. */
export const loadBuilt = (root, file) =>
  import(join(root, 'dist', file)).catch((error) => {
    throw new Error(`dist/${file} is missing: run \`npm run build\` first (${error.message})`);
  });

/** Herald's settings for a devhost at a URL: its own issuer, the Graph and ACS stand-ins, no resend timer. */
export async function heraldSettings(root, name) {
  const { acsConnectionString } = await loadBuilt(root, 'devhost/src/standins/acsEmail.js');
  return (url) => ({
    AUTH_ISSUER: `${url}/devhost/identity/{tenantid}/v2.0`,
    AUTH_AUDIENCE: AUDIENCE,
    AUTH_JWKS_URI: `${url}/devhost/identity/discovery/v2.0/keys`,
    GRAPH_ENDPOINT: `${url}/devhost/graph`,
    GRAPH_AUTHORITY: `${url}/devhost/identity`,
    GRAPH_CLIENT_ID: name,
    GRAPH_CLIENT_SECRET: 'not-checked-by-the-stand-in',
    CLICK_LINK_SECRET: `${name}-click-link-secret-0123456789-abcdef`,
    ACS_EMAIL_CONNECTION_STRING: acsConnectionString(url),
    AzureWebJobs_frequencyResends_Disabled: 'true',
  });
}
