/**
 * `GET /api/console/config`, anonymous: what the console needs before anyone has signed in. The authority is
 * the one that issues the API's tokens (AUTH_ISSUER without its `/{tenantid}/v2.0`), so the console and the
 * API cannot disagree about who signs people in.
 */
import type { z } from 'zod';
import { authSettings, consoleSettings } from '../../adapters/runtime/settings.js';
import { route } from './routes.js';
import { ConsoleConfig } from './schemas/serviceSchemas.js';

const ENTRA = 'https://login.microsoftonline.com';

export function consoleConfig(): z.output<typeof ConsoleConfig> {
  const { issuerTemplate, audience } = authSettings();
  const { clientId, tenant } = consoleSettings();
  const authority = `${issuerTemplate.slice(0, issuerTemplate.indexOf('/{tenantid}'))}/${tenant}`;
  return {
    authority,
    protocol: authority.startsWith(`${ENTRA}/`) ? 'entra' : 'oidc',
    clientId,
    scopes: [`${audience}/.default`],
  };
}

route({
  name: 'consoleConfig',
  route: 'console/config',
  tag: 'service',
  method: 'GET',
  operationId: 'getConsoleConfig',
  summary: 'Where the console signs people in',
  role: 'public',
  response: { status: 200, description: 'The sign-in authority, client id and scopes of the console.', schema: ConsoleConfig },
  problems: [],
  handler: async () => ({ jsonBody: consoleConfig(), headers: { 'cache-control': 'no-cache' } }),
});
