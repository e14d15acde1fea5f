/**
 * The mailboxes: every email the ACS stand-in accepted with a card in it lands in each recipient's mailbox (To, Cc and Bcc),
 * with the card Outlook's gate decided that recipient sees and the gate's report. Opening a mail runs its
 * card's `autoInvokeAction`; pressing a button calls the action. Each mail keeps its current card, the
 * last `CARD-ACTION-STATUS` (saved with the card, as Outlook saves it) and every action's outcome.
 * Replies and forwards are new mails with the HTML and no card. Kept in memory.
 */
import { randomUUID } from 'node:crypto';
import type { Dashboard, Recipient } from './dashboard.js';
import { findCard, withoutCard } from './cardMarkup.js';
import { gate, domainOf, type GateReport, type MailAuthentication } from './gate.js';
import { actionsOf, findAction, inputDefaults, type CardAction, type Json } from './outlookCard.js';
import {
  AUTO_INVOKE_TIMEOUT_MS,
  callAction,
  CLICK_TIMEOUT_MS,
  GENERIC_ERROR,
  type ActionCallDeps,
  type ActionOutcome,
} from './actionCall.js';

/** Outlook refuses actions on a message more than a month old. */
export const MAX_ACTION_AGE_MS = 30 * 24 * 3600 * 1000;
/** At most this many actionable messages open at once in one person's session. */
export const MAX_OPEN = 10;

export interface Mail {
  id: string;
  /** The ACS operation id of the email this mail came from, or of the mail it replies to or forwards. */
  emailId: string;
  mailbox: string;
  kind: 'to' | 'cc' | 'bcc';
  origin: 'delivered' | 'reply' | 'forward';
  receivedAt: string;
  from: string;
  subject: string;
  html?: string;
  plainText?: string;
  /** The card as the person sees it now, if the gate let it through. */
  card?: Json;
  /** The last CARD-ACTION-STATUS, shown in the card's reserved area and saved with it. */
  cardStatus?: string;
  report: GateReport;
  providerId?: string;
  history: ActionRecord[];
}

export interface ActionRecord {
  at: string;
  trigger: 'click' | 'autoInvoke';
  actionId?: string;
  title?: string;
  requestId: string;
  outcome: ActionOutcome;
}

export interface DeliveredEmail {
  id: string;
  time: string;
  from: string;
  to: { address: string }[];
  cc: { address: string }[];
  bcc: { address: string }[];
  subject: string;
  html?: string;
  plainText?: string;
}

export interface MailboxDeps {
  dashboard: Dashboard;
  now: () => number;
  /** The tenant (and object id) of a mailbox, when a directory has it. */
  directory: (address: string) => { tenantId: string; userId: string } | undefined;
  mailAuth: (domain: string) => MailAuthentication;
  /** The token Outlook sends for `mailbox` to an action. */
  token: (mailbox: string, audience: string, scope: string | undefined) => Promise<string>;
  fetch: typeof fetch;
  allowLoopback: boolean;
  /** How long a click and an auto-invoke wait for an answer: Outlook's 15 s and 2 s unless a loaded test machine needs more. */
  timeouts?: { clickMs: number; autoInvokeMs: number };
  log: (message: string) => void;
}

export class MailboxError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 429,
    message: string,
  ) {
    super(message);
  }
}

export interface ActionResult {
  mail: Mail;
  outcome: ActionOutcome;
}

export class Mailboxes {
  readonly #byAddress = new Map<string, Mail[]>();
  readonly #byId = new Map<string, Mail>();
  readonly #open = new Map<string, Set<string>>();

  constructor(private readonly deps: MailboxDeps) {}

  /** Delivers an email to each of its recipients' mailboxes, the card gated for each. */
  async deliver(email: DeliveredEmail): Promise<Mail[]> {
    const found = findCard(email.html);
    // Mailboxes hold the mail that carries a card; the ACS stand-in keeps every email, within its own memory bounds.
    if (found.kind === 'none') return [];
    const recipients = [
      ...email.to.map((a) => ({ address: a.address, kind: 'to' as const })),
      ...email.cc.map((a) => ({ address: a.address, kind: 'cc' as const })),
      ...email.bcc.map((a) => ({ address: a.address, kind: 'bcc' as const })),
    ];
    const mails: Mail[] = [];
    for (const r of recipients) {
      const recipient: Recipient & { kind: typeof r.kind } = { ...r, tenantId: this.deps.directory(r.address)?.tenantId };
      const result = await gate({
        found,
        from: email.from,
        recipient,
        mailAuth: this.deps.mailAuth(domainOf(email.from)),
        provider: (id) => this.deps.dashboard.get(id),
        now: this.deps.now(),
      });
      if (!result.report.CardEnabledForMessage)
        this.deps.log(
          `Outlook stand-in: no card for ${r.address} in "${email.subject}": ${result.report.ActionableMessageStamping.Errors.join(' ')}`,
        );
      mails.push(
        this.#add({
          id: randomUUID(),
          emailId: email.id,
          mailbox: r.address.toLowerCase(),
          kind: r.kind,
          origin: 'delivered',
          receivedAt: email.time,
          from: email.from.toLowerCase(),
          subject: email.subject,
          ...(email.html === undefined ? {} : { html: email.html }),
          ...(email.plainText === undefined ? {} : { plainText: email.plainText }),
          ...(result.card ? { card: result.card } : {}),
          report: result.report,
          ...(result.provider ? { providerId: result.provider.id } : {}),
          history: [],
        }),
      );
    }
    return mails;
  }

  list(mailbox: string): Mail[] {
    return this.#byAddress.get(mailbox.toLowerCase()) ?? [];
  }

  mailboxes(): { address: string; mails: number }[] {
    return [...this.#byAddress].map(([address, mails]) => ({ address, mails: mails.length }));
  }

  get(mailbox: string, id: string): Mail {
    const mail = this.#byId.get(id);
    if (!mail || mail.mailbox !== mailbox.toLowerCase()) throw new MailboxError(404, `no mail ${id} in the mailbox ${mailbox}`);
    return mail;
  }

  actions(mail: Mail): CardAction[] {
    return mail.card ? actionsOf(mail.card) : [];
  }

  /** Opens a mail: a card with an autoInvokeAction is refreshed when the action answers with a card within 2 s. */
  async open(mailbox: string, id: string): Promise<{ mail: Mail; autoInvoke?: ActionOutcome }> {
    const mail = this.get(mailbox, id);
    if (!mail.card) return { mail };
    const open = this.#open.get(mail.mailbox) ?? new Set<string>();
    if (!open.has(id) && open.size >= MAX_OPEN)
      throw new MailboxError(429, `At most ${MAX_OPEN} actionable messages can be open at once; close one first.`);
    open.add(id);
    this.#open.set(mail.mailbox, open);
    const auto = mail.card.autoInvokeAction as Json | undefined;
    if (!auto || this.#tooOld(mail)) return { mail };
    const outcome = await this.#call(mail, auto, {}, 'autoInvoke', this.deps.timeouts?.autoInvokeMs ?? AUTO_INVOKE_TIMEOUT_MS);
    // An auto-invoke shows nothing but the new card: on an error or a timeout the card stays as it was.
    if (outcome.kind === 'refresh') mail.card = outcome.card;
    return { mail, autoInvoke: outcome };
  }

  close(mailbox: string, id: string): void {
    this.get(mailbox, id);
    this.#open.get(mailbox.toLowerCase())?.delete(id);
  }

  /** Presses the action (by id or title) with the inputs the person typed. */
  async click(mailbox: string, id: string, actionKey: string, typed: Record<string, string>): Promise<ActionResult> {
    const mail = this.get(mailbox, id);
    if (!mail.card) throw new MailboxError(409, `the mail ${id} shows no card`);
    const action = findAction(mail.card, actionKey);
    if (!action)
      throw new MailboxError(
        404,
        `the card has no action "${actionKey}" (its actions: ${this.actions(mail)
          .map((a) => a.title || a.id)
          .join(', ')})`,
      );
    if (action.type !== 'Action.Http')
      throw new MailboxError(409, `"${actionKey}" is an ${String(action.type)}, which Outlook runs in the client, not an Action.Http`);
    if (this.#tooOld(mail)) {
      const outcome: ActionOutcome = {
        kind: 'refused',
        status: 'Actions cannot be taken on a message more than a month old.',
        detail: 'message older than 30 days',
      };
      mail.cardStatus = outcome.status;
      this.#record(mail, 'click', action, randomUUID(), outcome);
      return { mail, outcome };
    }
    const outcome = await this.#call(mail, action, typed, 'click', this.deps.timeouts?.clickMs ?? CLICK_TIMEOUT_MS);
    if (outcome.kind === 'refresh') mail.card = outcome.card;
    if (outcome.kind === 'authenticate') mail.cardStatus = 'Sign in to continue.';
    else mail.cardStatus = outcome.status ?? undefined;
    if (mail.cardStatus === undefined) delete mail.cardStatus;
    return { mail, outcome };
  }

  /** A reply (to the sender) or a forward (to `to`): the HTML goes, the card does not. */
  respond(mailbox: string, id: string, how: 'reply' | 'forward', to?: string): Mail {
    const mail = this.get(mailbox, id);
    const target = how === 'reply' ? mail.from : to;
    if (!target) throw new MailboxError(400, 'to: a forward needs the address to forward to');
    const html = mail.html === undefined ? undefined : withoutCard(mail.html);
    return this.#add({
      id: randomUUID(),
      emailId: mail.emailId,
      mailbox: target.toLowerCase(),
      kind: 'to',
      origin: how,
      receivedAt: new Date(this.deps.now()).toISOString(),
      from: mail.mailbox,
      subject: `${how === 'reply' ? 'RE' : 'FW'}: ${mail.subject}`,
      ...(html === undefined ? {} : { html }),
      ...(mail.plainText === undefined ? {} : { plainText: mail.plainText }),
      report: {
        CardEnabledForMessage: false,
        Originator: null,
        CardSource: 'none',
        AuthHeader: { results: 'spf=none; dkim=none', authAs: 'Anonymous' },
        ActionableMessageStamping: { Infos: [], Errors: [`Cards are not included in a ${how}: only the HTML body is.`] },
      },
      history: [],
    });
  }

  clear(): void {
    this.#byAddress.clear();
    this.#byId.clear();
    this.#open.clear();
  }

  #add(mail: Mail): Mail {
    const list = this.#byAddress.get(mail.mailbox);
    if (list) list.push(mail);
    else this.#byAddress.set(mail.mailbox, [mail]);
    this.#byId.set(mail.id, mail);
    return mail;
  }

  #tooOld(mail: Mail): boolean {
    return this.deps.now() - Date.parse(mail.receivedAt) > MAX_ACTION_AGE_MS;
  }

  async #call(
    mail: Mail,
    action: Json,
    typed: Record<string, string>,
    trigger: ActionRecord['trigger'],
    timeoutMs: number,
  ): Promise<ActionOutcome> {
    const provider = mail.providerId ? this.deps.dashboard.get(mail.providerId) : undefined;
    const requestId = randomUUID();
    const deps: ActionCallDeps = {
      token: (audience, scope) => this.deps.token(mail.mailbox, audience, scope),
      fetch: this.deps.fetch,
      allowLoopback: this.deps.allowLoopback,
    };
    let outcome: ActionOutcome;
    try {
      outcome = await callAction(
        {
          action,
          inputs: { ...inputDefaults(mail.card ?? {}), ...typed },
          provider,
          correlationId: typeof mail.card?.correlationId === 'string' ? mail.card.correlationId : undefined,
          timeoutMs,
          requestId,
        },
        deps,
      );
    } catch (error) {
      outcome = { kind: 'error', status: GENERIC_ERROR, detail: (error as Error).message };
    }
    if (outcome.kind === 'error' || outcome.kind === 'refused')
      this.deps.log(`Outlook stand-in: ${trigger} on "${mail.subject}" for ${mail.mailbox}: ${outcome.detail}`);
    this.#record(mail, trigger, action, requestId, outcome);
    return outcome;
  }

  #record(mail: Mail, trigger: ActionRecord['trigger'], action: Json, requestId: string, outcome: ActionOutcome): void {
    mail.history.push({
      at: new Date(this.deps.now()).toISOString(),
      trigger,
      ...(typeof action.id === 'string' ? { actionId: action.id } : {}),
      ...(typeof action.title === 'string' ? { title: action.title } : {}),
      requestId,
      outcome,
    });
  }
}
