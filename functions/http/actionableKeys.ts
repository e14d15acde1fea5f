/**
 * `GET /api/actionable/keys`, anonymous: the public keys (JWKS) providers verify the actions Herald relays
 * to them with (the JWS in each relayed request's Authorization header, adapters/services/providerRelay.ts).
 */
import { publishedKeys } from '../../adapters/runtime/heraldSigningKey.js';
import { SettingsError } from '../../adapters/runtime/settings.js';
import { Problem } from './problem.js';
import { route } from './routes.js';
import { Jwks } from './schemas/actionableSchemas.js';

route({
  name: 'actionableKeys',
  route: 'actionable/keys',
  tag: 'actionable',
  method: 'GET',
  operationId: 'getActionableKeys',
  summary: 'The keys Herald signs relayed actions with',
  description: 'A JWKS. Each relayed action carries a JWS (RS256) whose kid is one of these; providers fetch it again for an unknown kid.',
  role: 'public',
  response: { status: 200, description: 'The JWKS.', schema: Jwks },
  problems: ['misconfigured'],
  handler: async () => {
    try {
      return { status: 200, headers: { 'cache-control': 'public, max-age=3600' }, jsonBody: await publishedKeys() };
    } catch (error) {
      if (error instanceof SettingsError) throw new Problem('misconfigured', error.message);
      throw error;
    }
  },
});
