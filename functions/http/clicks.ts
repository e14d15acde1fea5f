/**
 * `GET /api/r/{token}`, anonymous: the signed click link every channel puts behind a call to action
 * (adapters/runtime/clickLinks). It records a `clicked` interaction for the recipient, message, occurrence and
 * channel the token names — once per token, however often the link is followed — and redirects to the
 * destination. A token that does not verify records nothing and redirects nowhere.
 */
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { clickEventId, CLICK_ROUTE, InvalidClickLink, readClickToken, type ClickLink } from '../../adapters/runtime/clickLinks.js';
import { now } from '../../adapters/runtime/clock.js';
import { tenantInbox } from '../../adapters/runtime/inboxCache.js';
import { recordInteraction } from '../../adapters/stores/interactionStore.js';
import { Problem } from './problem.js';
import { route } from './routes.js';

async function follow(token: string, context: InvocationContext): Promise<HttpResponseInit> {
  let link: ClickLink;
  try {
    link = await readClickToken(token);
  } catch (error) {
    if (error instanceof InvalidClickLink) throw new Problem('validation', error.message, [{ path: 'token', message: error.message }]);
    throw error;
  }
  if (!link.userId) {
    // A Teams bulk notification carries one link for all its recipients: the click cannot be pinned on a person.
    context.log(`message ${link.messageId}: a ${link.channel} link without a recipient was followed (not recorded per person)`);
    return redirect(link.url);
  }
  try {
    const { settings } = await tenantInbox(link.tenantId);
    await recordInteraction(link.tenantId, link.userId, link.messageId, {
      type: 'clicked',
      clientEventId: clickEventId(token),
      at: now(),
      channel: link.channel,
      occurrence: link.occurrence,
      timeZone: settings.timeZone,
    });
  } catch (error) {
    // The person asked to go somewhere: a storage hiccup must not strand them on an error page.
    context.error(`message ${link.messageId}: the click of user ${link.userId} (${link.channel}) was not recorded: ${String(error)}`);
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
    'to the destination; a token that does not verify answers 400 and records nothing.',
  role: 'public',
  response: { status: 302, description: 'Redirect to the call to action.', location: 'redirect' },
  problems: ['validation'],
  handler: async ({ params, context }) => follow(params.token, context),
});
