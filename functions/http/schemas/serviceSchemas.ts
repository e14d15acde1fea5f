/** What the service's own endpoints answer. */
import { z } from 'zod';
import { responseComponents } from './components.js';

/** `GET /api/health`: the app is up, and the time it runs on. */
export const Health = z
  .object({ status: z.literal('ok'), service: z.literal('herald'), time: z.iso.datetime() })
  .register(responseComponents, { id: 'Health' });

/** `GET /api/console/config`: where the console signs people in, and for what. */
export const ConsoleConfig = z
  .object({
    authority: z
      .string()
      .describe('The OpenID authority people sign in with: Entra’s (login.microsoftonline.com/<tenant>) or, locally, devhost’s stand-in.'),
    protocol: z
      .enum(['entra', 'oidc'])
      .describe('entra: sign in with MSAL Browser; oidc: a plain authorization-code + PKCE flow (the local stand-in, over http).'),
    clientId: z.string(),
    scopes: z.array(z.string()).describe('What the console asks the token for: Herald’s API.'),
  })
  .register(responseComponents, { id: 'ConsoleConfig' });
