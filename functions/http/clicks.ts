/**
 * `GET /api/r/{token}`, anonymous: the signed click link every channel puts behind a call to action
 * (adapters/runtime/clickLinks). It records a `clicked` interaction for the recipient, message, occurrence and
 * channel the token names — once per token, however often the link is followed — and redirects to the
 * destination. A token that does not verify records nothing and redirects nowhere.
 *
 * A Teams bulk notification carries one link for all its recipients, so its token names nobody: the person
 * is the one whose Entra token (Teams single sign-on) comes with the request, verified as on every API call
 * and of the link's tenant. Without one the redirect still happens, and no click is counted.
 */
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { clickEventId, CLICK_ROUTE, InvalidClickLink, readClickToken, type ClickLink } from '../../adapters/runtime/clickLinks.js';
import { authenticate, Unauthenticated } from '../../adapters/runtime/auth.js';
import { now } from '../../adapters/runtime/clock.js';
import { tenantInbox } from '../../adapters/runtime/inboxCache.js';
import { recordInteraction } from '../../adapters/runtime/interactionCache.js';
import { Problem } from './problem.js';
import { route } from './routes.js';

/** Who followed a link that names nobody: the signed-in person of the link's tenant, if one is. */
async function signedInFollower(link: ClickLink, authorization: string | null, context: InvocationContext): Promise<string | undefined> {
  if (!authorization) return undefined;
  try {
    const caller = await authenticate(authorization);
    if (caller.tenantId === link.tenantId) return caller.userId;
    context.log(`message ${link.messageId}: a ${link.channel} link was followed by a user of another tenant (not counted)`);
  } catch (error) {
    // The person asked to go somewhere: a token that does not verify only means the click is not theirs to count.
    if (!(error instanceof Unauthenticated))
      context.error(`message ${link.messageId}: the follower's token could not be checked: ${String(error)}`);
    else context.log(`message ${link.messageId}: a ${link.channel} link was followed with a token that does not verify (${error.reason})`);
  }
  return undefined;
}

async function follow(token: string, authorization: string | null, context: InvocationContext): Promise<HttpResponseInit> {
  let link: ClickLink;
  try {
    link = await readClickToken(token);
  } catch (error) {
    if (error instanceof InvalidClickLink) throw new Problem('validation', error.message, [{ path: 'token', message: error.message }]);
    throw error;
  }
  const userId = link.userId || (await signedInFollower(link, authorization, context));
  if (!userId) {
    context.log(`message ${link.messageId}: a ${link.channel} link without a recipient was followed by nobody signed in (not counted)`);
    return redirect(link.url);
  }
  try {
    const { settings } = await tenantInbox(link.tenantId);
    await recordInteraction(link.tenantId, userId, link.messageId, {
      type: 'clicked',
      clientEventId: clickEventId(token),
      at: now(),
      channel: link.channel,
      occurrence: link.occurrence,
      timeZone: settings.timeZone,
    });
  } catch (error) {
    // The person asked to go somewhere: a storage hiccup must not strand them on an error page.
    context.error(`message ${link.messageId}: the click of user ${userId} (${link.channel}) was not recorded: ${String(error)}`);
  }
  return redirect(link.url);
}

const redirect = (url: string): HttpResponseInit => ({
  status: 302,
  headers: { location: url, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
});

route({
  name: 'clickRedirect',
  route: `${CLICK_ROUTE}/{token}`,
  tag: 'inbox',
  params: { token: 'The signed token of a click link.' },
  method: 'GET',
  operationId: 'followClickLink',
  summary: 'Follow a signed click link',
  description:
    'The links Herald puts behind a call to action on every channel. The signed token is the credential: it names the ' +
    'recipient, message, occurrence and channel. Records one click per link, however often it is followed, and redirects ' +
    'to the destination; a token that does not verify answers 400 and records nothing. A Teams link names no recipient ' +
    '(one bulk notification reaches many): the click counts for the person whose bearer token (Teams single sign-on) ' +
    'comes with it, once; without one it only redirects.',
  role: 'public',
  response: { status: 302, description: 'Redirect to the call to action.', location: 'redirect' },
  problems: ['validation'],
  handler: async ({ params, request, context }) => follow(params.token, request.headers.get('authorization'), context),
});
