/**
 * The settings devhost supplies to the app it runs, the way Azure supplies `WEBSITE_HOSTNAME`: where this
 * host and each stand-in answer, which is known only once they listen (a free port, `--port`, a push port
 * picked at start). devhost knows no app's setting names, so an app names its own settings and refers to
 * these: a value `%DEVHOST_GRAPH_ENDPOINT%/v1.0` in local.settings.json (or the environment) becomes
 * `http://localhost:<port>/devhost/graph/v1.0`. See devhost/README.md, "Settings devhost supplies".
 */
import { IDENTITY_PATH } from './identity/issuer.js';
import { acsConnectionString } from './standins/acsEmail.js';
import type { PushConnection } from './standins/push.js';

export interface SupplyFacts {
  /** The host's origin, e.g. http://localhost:7071. */
  url: string;
  /** The key the ACS Email stand-in checks signatures with. */
  acsAccessKey: string;
  /** The push stand-in's TLS port and files, once it listens. */
  push: PushConnection | undefined;
  /** `AZURE_FUNCTIONS_ENVIRONMENT` as the settings have it, if they do. */
  environment: string | undefined;
}

export function suppliedSettings({ url, acsAccessKey, push, environment }: SupplyFacts): Record<string, string> {
  return {
    // As Core Tools runs an app locally: Development unless the settings say otherwise.
    AZURE_FUNCTIONS_ENVIRONMENT: environment || 'Development',
    WEBSITE_HOSTNAME: new URL(url).host,
    DEVHOST_URL: url,
    DEVHOST_IDENTITY_AUTHORITY: `${url}${IDENTITY_PATH}`,
    DEVHOST_IDENTITY_JWKS_URI: `${url}${IDENTITY_PATH}/discovery/v2.0/keys`,
    DEVHOST_GRAPH_ENDPOINT: `${url}/devhost/graph`,
    DEVHOST_ACS_ENDPOINT: `${url}/`,
    DEVHOST_ACS_CONNECTION_STRING: acsConnectionString(url, acsAccessKey),
    ...(push
      ? {
          DEVHOST_PUSH_CONNECT_TO: `127.0.0.1:${push.port}`,
          DEVHOST_PUSH_CA_FILE: push.caFile,
          DEVHOST_PUSH_FCM_PROJECT_ID: push.fcm.projectId,
          DEVHOST_PUSH_FCM_SERVICE_ACCOUNT_FILE: push.fcm.serviceAccountFile,
          DEVHOST_PUSH_APNS_KEY_FILE: push.apns.keyFile,
          DEVHOST_PUSH_APNS_KEY_ID: push.apns.keyId,
          DEVHOST_PUSH_APNS_TEAM_ID: push.apns.teamId,
        }
      : {}),
  };
}

// Only devhost's own names are references: any other text between percent signs (a URL-encoded value, a
// password) stays as it is.
const REFERENCE = /%(DEVHOST_[A-Z0-9_]+|WEBSITE_HOSTNAME)%/g;

export const refersToSupplied = (value: string) => new RegExp(REFERENCE.source).test(value);

/** Replaces each reference by what devhost supplies; a `%DEVHOST_…%` it does not supply is an error naming `what`. */
export function expandSupplied(value: string, supplied: Record<string, string>, what: string): string {
  return value.replace(REFERENCE, (_, name: string) => {
    const found = supplied[name];
    if (found === undefined)
      throw new Error(`${what} refers to %${name}%, which devhost does not supply (it supplies ${Object.keys(supplied).join(', ')})`);
    return found;
  });
}

/**
 * Settings that name a local port none of this host's listeners has: most likely written for another port
 * (`http://localhost:7071/…` while the host runs on 7072), where a supplied reference would follow the host.
 */
export function settingsNamingOtherPorts(values: Record<string, string>, ports: readonly number[]): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    for (const m of value.matchAll(/\b(?:localhost|127\.0\.0\.1):(\d+)/g))
      if (!ports.includes(Number(m[1]))) {
        found.push(`${name} names ${m[0]}`);
        break;
      }
  }
  return found;
}
