/**
 * Entra's sign-in for browser apps, stood in: the OAuth 2.0 authorization endpoint
 * (`/{tenant}/oauth2/v2.0/authorize`) answers with a page listing the people of the directories the Graph
 * stand-in serves, to sign in as one of them with the app roles typed on the page (Entra would take them from
 * the app's role assignments), and the token endpoint redeems its one-time code (authorization-code grant,
 * PKCE S256 required, as Entra requires of single-page apps) for an access token with the person's `tid`,
 * `oid` and roles, and an ID token when `openid` was asked for. `organizations` and `common` list every
 * tenant's people, as Entra lets any work account sign in.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Person {
  tenantId: string;
  upn: string;
  name: string;
  oid: string;
  department?: string;
  jobTitle?: string;
}

interface Grant {
  person: Person;
  roles: string[];
  clientId: string;
  redirectUri: string;
  challenge: string;
  scope: string;
  nonce?: string;
  expires: number;
}

/** What a redeemed code yields; the issuer mints the tokens. */
export interface Redeemed {
  person: Person;
  roles: string[];
  clientId: string;
  scope: string;
  nonce?: string;
}

/** Codes live five minutes and are redeemed once, as Entra's are (it allows ten). */
const CODE_LIFETIME_MS = 5 * 60_000;
const MULTI_TENANT = new Set(['organizations', 'common']);

/**
 * The people of the directories the Graph stand-in serves, read through its control API as any client would
 * (the identity stand-in knows nothing else of it); guests and disabled accounts cannot sign in.
 */
export async function directoryPeople(origin: string, tenant: string | undefined): Promise<Person[]> {
  const control = `${origin}/devhost/graph/_control/tenants`;
  const listed = await fetch(control);
  if (!listed.ok) return [];
  const { tenants } = (await listed.json()) as { tenants: { tenantId: string }[] };
  const people: Person[] = [];
  for (const { tenantId } of tenants.filter((t) => !tenant || t.tenantId.toLowerCase() === tenant.toLowerCase())) {
    const response = await fetch(`${control}/${tenantId}/directory`);
    if (!response.ok) continue;
    const { users } = (await response.json()) as {
      users: {
        id: string;
        userPrincipalName: string;
        displayName: string;
        department?: string;
        jobTitle?: string;
        userType?: string;
        accountEnabled?: boolean;
      }[];
    };
    for (const u of users)
      if (u.userType !== 'Guest' && u.accountEnabled !== false)
        people.push({
          tenantId,
          upn: u.userPrincipalName,
          name: u.displayName,
          oid: u.id,
          ...(u.department ? { department: u.department } : {}),
          ...(u.jobTitle ? { jobTitle: u.jobTitle } : {}),
        });
  }
  return people;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `error=…&error_description=…` back to the app when its redirect can be trusted, else a page saying what is wrong. */
function refuse(res: ServerResponse, status: number, description: string): void {
  res
    .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    .end(
      `<!doctype html><html lang="en"><title>Sign-in failed</title><main><h1>Sign-in failed</h1><p>${escape(description)}</p></main></html>`,
    );
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const AUTHORIZE_FIELDS = [
  'client_id',
  'redirect_uri',
  'response_type',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
];

export class SignInPages {
  readonly #grants = new Map<string, Grant>();

  /** `people(origin, tenant)`: the enabled members of one tenant's directory, or of every tenant's (organizations, common). */
  constructor(private readonly people: (origin: string, tenant: string | undefined) => Promise<Person[]> = directoryPeople) {}

  /** `GET` shows the page; `POST` (the page's form) signs the chosen person in and redirects with a code. */
  async authorize(req: IncomingMessage, res: ServerResponse, url: URL, tenant: string, origin: string): Promise<void> {
    const params = req.method === 'POST' ? await readForm(req) : url.searchParams;
    const get = (k: string) => params.get(k) ?? '';
    for (const field of ['client_id', 'redirect_uri', 'response_type', 'scope', 'code_challenge'])
      if (!get(field)) return refuse(res, 400, `The request must contain '${field}'.`);
    if (get('response_type') !== 'code')
      return refuse(res, 400, `response_type "${get('response_type')}" is not supported here: use code.`);
    if (get('code_challenge_method') !== 'S256')
      return refuse(res, 400, 'PKCE with code_challenge_method S256 is required for single-page apps.');
    let redirect: URL;
    try {
      redirect = new URL(get('redirect_uri'));
      if (!/^https?:$/.test(redirect.protocol)) throw new Error();
    } catch {
      return refuse(res, 400, `redirect_uri "${get('redirect_uri')}" is not an http(s) URL.`);
    }
    const scoped = MULTI_TENANT.has(tenant.toLowerCase()) ? undefined : tenant;
    const people = await this.people(origin, scoped);
    if (req.method !== 'POST') return this.#page(res, params, people, scoped);

    const person = people.find((p) => `${p.tenantId}|${p.upn}` === get('person'));
    if (!person) return refuse(res, 400, `Nobody "${get('person')}" is in the directory: choose someone on the sign-in page.`);
    const roles = get('roles')
      .split(/[\s,]+/)
      .filter(Boolean);
    const code = randomBytes(32).toString('base64url');
    this.#grants.set(code, {
      person,
      roles,
      clientId: get('client_id'),
      redirectUri: redirect.href,
      challenge: get('code_challenge'),
      scope: get('scope'),
      ...(get('nonce') ? { nonce: get('nonce') } : {}),
      expires: Date.now() + CODE_LIFETIME_MS,
    });
    redirect.searchParams.set('code', code);
    if (get('state')) redirect.searchParams.set('state', get('state'));
    res.writeHead(302, { location: redirect.href, 'cache-control': 'no-store' }).end();
  }

  /** The authorization-code grant: the code once, for the client and redirect it was issued to, with the verifier of its challenge. */
  redeem(form: URLSearchParams): { ok: true; value: Redeemed } | { ok: false; error: string; description: string } {
    const code = form.get('code') ?? '';
    const grant = this.#grants.get(code);
    this.#grants.delete(code);
    const bad = (description: string) => ({ ok: false as const, error: 'invalid_grant', description });
    if (!grant || grant.expires < Date.now()) return bad('the authorization code is unknown, used already or expired');
    if (form.get('client_id') !== grant.clientId) return bad('the code was issued to another client_id');
    if (form.get('redirect_uri') !== grant.redirectUri) return bad('redirect_uri is not the one the code was issued for');
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge)
      return bad('code_verifier does not match the code_challenge (PKCE S256)');
    for (const [k, g] of this.#grants) if (g.expires < Date.now()) this.#grants.delete(k);
    return {
      ok: true,
      value: {
        person: grant.person,
        roles: grant.roles,
        clientId: grant.clientId,
        scope: grant.scope,
        ...(grant.nonce ? { nonce: grant.nonce } : {}),
      },
    };
  }

  #page(res: ServerResponse, params: URLSearchParams, people: Person[], tenant: string | undefined): void {
    const hidden = AUTHORIZE_FIELDS.filter((k) => params.get(k))
      .map((k) => `<input type="hidden" name="${k}" value="${escape(params.get(k)!)}">`)
      .join('');
    const rows = people
      .map(
        (p) =>
          `<li><button type="submit" name="person" value="${escape(`${p.tenantId}|${p.upn}`)}">${escape(p.name)}</button> ` +
          `<span>${escape(p.upn)}${p.jobTitle ? ` · ${escape(p.jobTitle)}` : ''}${p.department ? ` · ${escape(p.department)}` : ''}</span></li>`,
      )
      .join('');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>Sign in (devhost)</title>
<style>body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem}ul{list-style:none;padding:0}
li{margin:.3rem 0}button{min-width:14rem;text-align:left;padding:.3rem .6rem}label{display:block;margin:1rem 0}input[type=text]{width:100%;padding:.3rem}</style></head>
<body><main><h1>Sign in</h1>
<p>devhost's stand-in for Microsoft Entra ID${tenant ? `, tenant ${escape(tenant)}` : ''}: choose who you are. No password: this is a local development host.</p>
<form method="post">${hidden}
<label for="roles">App roles the token carries (space-separated; Entra takes them from the app's role assignments)</label>
<input type="text" id="roles" name="roles" autocomplete="off">
<h2>People</h2>
<ul aria-label="People">${rows || '<li>The directory has nobody: load one with the Graph stand-in’s control API.</li>'}</ul>
</form></main></body></html>`);
  }
}
