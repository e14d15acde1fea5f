/**
 * A local stand-in for Outlook's side of Actionable Messages: the developer dashboard where services
 * register as providers, the mailboxes every email the ACS stand-in accepts is delivered to, the gate that
 * decides (and records why) which recipient sees a card, and the clicks that call a provider's endpoint
 * with an Entra-shaped token from devhost's issuer. Knows nothing of the app. See devhost/README.md,
 * "Stand-in Outlook".
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { StandIn, StandInContext } from '../standin.js';
import { decodeSegment } from '../acsEmail/http.js';
import { Dashboard, DashboardError, ProvidersFile, firstIssue } from './dashboard.js';
import { CONTROL_PATH, handleControl } from './control.js';
import type { MailAuthentication } from './gate.js';
import { AUTO_INVOKE_TIMEOUT_MS, CLICK_TIMEOUT_MS } from './actionCall.js';
import { Mailboxes, type DeliveredEmail, type Mail } from './mailboxes.js';
import { ASSETS_PATH, cardPanel, serveAsset } from './page.js';

/** The Actions app Outlook's service calls action endpoints as: the `azp` of every action token. */
export const ACTIONS_APP_ID = '48af08dc-f6d2-435f-b2a7-069abd99c086';
/** Entra's tenant for personal (Outlook.com) accounts: the `tid` for a mailbox no directory has. */
export const CONSUMER_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

export interface OutlookStandIn extends StandIn {
  /** Delivers an email the ACS stand-in accepted to its recipients' mailboxes. */
  deliver(email: DeliveredEmail): Promise<void>;
  /** The card panel for the email's page, or undefined when none of its mails carries a card. */
  panel(emailPath: string, emailId: string, as: string | undefined): string | undefined;
}

export interface OutlookDeps {
  /** The tenant and object id of a mailbox, from the directories the Graph stand-in serves. */
  directory: (address: string) => { tenantId: string; userId: string } | undefined;
}

function propagationSeconds(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  if (!/^\d+$/.test(text))
    throw new Error(
      `DEVHOST_OUTLOOK_PROPAGATION_SECONDS must be a whole number of seconds (how long an approval takes to take effect), not '${text}'`,
    );
  return Number(text);
}

/** Outlook's timeouts stay the default; a test on a loaded machine may give a provider's endpoint longer. */
function milliseconds(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text) || Number(text) === 0) throw new Error(`${name} must be a whole number of milliseconds above 0, not '${text}'`);
  return Number(text);
}

/** `%NAME%` in a registrations file: `%DEVHOST_URL%` is the host's origin, any other name an app setting. */
function expand(text: string, origin: string, file: string): string {
  return text.replace(/%([A-Z0-9_]+)%/g, (_, name: string) => {
    const value = name === 'DEVHOST_URL' ? origin : process.env[name];
    if (value === undefined) throw new Error(`${file}: %${name}% names no setting`);
    return value;
  });
}

export async function createOutlookStandIn(ctx: StandInContext, deps: OutlookDeps): Promise<OutlookStandIn> {
  const dashboard = new Dashboard({
    now: () => ctx.clock.now(),
    propagationSeconds: propagationSeconds(process.env.DEVHOST_OUTLOOK_PROPAGATION_SECONDS),
    stateFile: ctx.stateDir ? join(ctx.stateDir, 'outlook', 'providers.json') : undefined,
  });
  const mailAuth = new Map<string, MailAuthentication>();
  const allowLoopback = /^(1|true|yes)$/i.test(process.env.DEVHOST_OUTLOOK_ALLOW_LOOPBACK ?? '');
  const mailboxes = new Mailboxes({
    dashboard,
    now: () => ctx.clock.now(),
    directory: deps.directory,
    mailAuth: (domain) => mailAuth.get(domain) ?? { spf: 'none', dkim: 'none' },
    token: async (mailbox, audience, scope) => {
      const user = deps.directory(mailbox);
      // Issued at the host's time, as the mailbox's own clock: under a test clock moved on by days, Outlook's
      // token is as fresh to the app as the press is.
      const { token } = await ctx.identity.mintDelegated(
        ctx.origin(),
        {
          tenant: user?.tenantId ?? CONSUMER_TENANT_ID,
          user: mailbox,
          ...(user ? { oid: user.userId } : {}),
          audience,
          clientId: ACTIONS_APP_ID,
          ...(scope ? { scope } : {}),
        },
        ctx.clock.now(),
      );
      return token;
    },
    fetch: (input, init) => fetch(input, init),
    allowLoopback,
    timeouts: {
      clickMs: milliseconds('DEVHOST_OUTLOOK_CLICK_TIMEOUT_MS', CLICK_TIMEOUT_MS),
      autoInvokeMs: milliseconds('DEVHOST_OUTLOOK_AUTO_INVOKE_TIMEOUT_MS', AUTO_INVOKE_TIMEOUT_MS),
    },
    log: ctx.log,
  });

  // The app's registrations are read when first needed: by then the host listens and the app's settings are set.
  let loaded = false;
  const fileDomains: string[] = [];
  const load = (): void => {
    if (loaded) return;
    loaded = true;
    const named = process.env.DEVHOST_OUTLOOK_PROVIDERS;
    if (!named) return;
    const file = isAbsolute(named) ? named : resolve(ctx.appDir, named);
    try {
      const parsed = ProvidersFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!parsed.success) throw new Error(firstIssue(parsed.error));
      const expanded = JSON.parse(expand(JSON.stringify(parsed.data), ctx.origin(), file)) as {
        providers: unknown[];
        authenticatedDomains: string[];
      };
      fileDomains.push(...expanded.authenticatedDomains);
      for (const domain of fileDomains) mailAuth.set(domain, { spf: 'pass', dkim: 'pass' });
      for (const [i, entry] of expanded.providers.entries()) {
        try {
          const p = dashboard.register(entry, 'file');
          ctx.log(`Outlook stand-in: provider ${p.friendlyName} (${p.id}, ${p.scope}, ${p.status}) from ${file}`);
        } catch (error) {
          if (!(error instanceof DashboardError)) throw error;
          ctx.log(`Outlook stand-in: ${file}: providers.${i}: ${error.message}`);
        }
      }
    } catch (error) {
      ctx.log(`Outlook stand-in: could not read the providers file ${file} (DEVHOST_OUTLOOK_PROVIDERS): ${(error as Error).message}`);
    }
  };
  const byEmail = new Map<string, Mail[]>();

  return {
    name: 'outlook',
    async deliver(email) {
      load();
      try {
        const mails = await mailboxes.deliver(email);
        if (mails.length) byEmail.set(email.id, mails);
      } catch (error) {
        // ACS accepted the email whatever Outlook makes of it.
        ctx.log(`Outlook stand-in: could not deliver "${email.subject}": ${(error as Error).stack ?? String(error)}`);
      }
    },
    panel(emailPath, emailId, as) {
      const mails = byEmail.get(emailId);
      return mails?.length ? cardPanel(emailPath, mails, as) : undefined;
    },
    async handle(req, res, url) {
      if (url.pathname.startsWith(`${CONTROL_PATH}/`)) {
        load();
        const reset = (): void => {
          mailboxes.clear();
          byEmail.clear();
          dashboard.clear();
          mailAuth.clear();
          for (const domain of fileDomains) mailAuth.set(domain, { spf: 'pass', dkim: 'pass' });
        };
        await handleControl(req, res, url, { dashboard, mailboxes, mailAuth, reset });
        return true;
      }
      if (req.method === 'GET' && url.pathname.startsWith(`${ASSETS_PATH}/`))
        return serveAsset(res, decodeSegment(url.pathname.slice(ASSETS_PATH.length + 1)));
      return false;
    },
  };
}
