/**
 * `POST /api/actionable/actions/{token}` (and GET, for an Action.Http of method GET), anonymous at the
 * HTTP layer: Outlook's own bearer token and the limited-purpose token in the path are the credentials,
 * checked by the flow in actionableActionFlow.ts, which answers in Outlook's reply protocol
 * (`CARD-ACTION-STATUS`, `CARD-UPDATE-IN-BODY`), not in problem+json: Outlook shows only that header.
 */
import { ACTION_ROUTE, actionToken, actionUrl, readActionToken } from '../../adapters/runtime/actionLinks.js';
import { actionTokenValidator, bearerOf } from '../../adapters/runtime/actionTokenValidator.js';
import { publicBaseUrl } from '../../adapters/runtime/clickLinks.js';
import { now } from '../../adapters/runtime/clock.js';
import { signForProvider } from '../../adapters/runtime/heraldSigningKey.js';
import { createProviderRelay } from '../../adapters/services/providerRelay.js';
import * as store from '../../adapters/stores/actionableStore.js';
import { providerStore } from '../../adapters/stores/providerStore.js';
import { createActionEndpoint } from './actionableActionFlow.js';
import { route } from './routes.js';
import { RefreshCard } from './schemas/actionableSchemas.js';

/** The provider gets what is left of Outlook's 2 s for a refresh on open. */
const RELAY_TIMEOUT_MS = 1_500;

let handle: ReturnType<typeof createActionEndpoint> | undefined;
const endpoint = (log: (m: string) => void) =>
  (handle ??= createActionEndpoint({
    readToken: readActionToken,
    linkFor: (link) => actionUrl(actionToken(link)),
    bearer: bearerOf,
    validator: actionTokenValidator(now),
    store,
    providers: { findByOriginator: (id) => providerStore().findByOriginator(id) },
    relay: createProviderRelay({ sign: signForProvider, issuer: publicBaseUrl, fetch, now, timeoutMs: RELAY_TIMEOUT_MS }),
    now,
    log,
  }));

const description =
  'What the Action.Http buttons (and autoInvokeAction) of the cards Herald sends call. The path token binds the action to one email, ' +
  'one recipient and the provider URL; the Authorization (or Action-Authorization) bearer token is the Entra token Outlook sends, ' +
  "validated by kid from the issuer's keys (iss v1 or v2, tid pinned, aud the provider's AppIdUri or app id, azp/appid the Actions " +
  'app, scp, 5-minute skew); the actor (upn or preferred_username) must be the recipient. A repeated Action-Request-Id is answered ' +
  'as the first was; a button acts once. The provider gets the action signed by Herald (GET /api/actionable/keys) and its ' +
  'CARD-ACTION-STATUS and refresh card (CARD-UPDATE-IN-BODY: true) come back. Refusals are 4xx with a CARD-ACTION-STATUS; actions on ' +
  'emails older than a month are refused (410).';

// Whatever the card's action declares, inputs substituted: JSON as a rule, but Herald relays it as it came.
const raw = {
  content: { '*/*': {} },
  description: 'The action’s body as the card declares it (inputs substituted).',
};
const response = {
  status: 200 as const,
  description:
    'Done: CARD-ACTION-STATUS says what happened; with CARD-UPDATE-IN-BODY: true the body is the card that replaces the old one.',
  schema: RefreshCard,
};

route({
  name: 'actionableAction',
  route: `${ACTION_ROUTE}/{token}`,
  tag: 'actionable',
  params: { token: 'The limited-purpose token of the button.' },
  methods: (op) => ({
    POST: op({
      operationId: 'relayActionableAction',
      summary: 'An Action.Http of an actionable email (POST)',
      description,
      role: 'public',
      body: raw,
      response,
      problems: [],
      handler: async ({ request, params, context }) => {
        const body = await request.text();
        const a = await endpoint((m) => context.log(m))({ token: params.token, method: 'POST', headers: request.headers, body });
        return { status: a.status, headers: a.headers, ...(a.body !== undefined ? { body: a.body } : {}) };
      },
    }),
    GET: op({
      operationId: 'relayActionableActionGet',
      summary: 'An Action.Http of an actionable email (GET)',
      description,
      role: 'public',
      response,
      problems: [],
      handler: async ({ request, params, context }) => {
        const a = await endpoint((m) => context.log(m))({ token: params.token, method: 'GET', headers: request.headers, body: '' });
        return { status: a.status, headers: a.headers, ...(a.body !== undefined ? { body: a.body } : {}) };
      },
    }),
  }),
});
