import { createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  actionUrlAllowed,
  appIdUriFor,
  consentState,
  effectiveness,
  isEffectiveFor,
  parseRsaKeyValue,
  PROVIDER_STATUSES,
  PROVIDER_TRANSITIONS,
  providerFieldProblems,
  providerSubmitProblems,
  providerTransition,
  splitTestUsers,
  type Provider,
  type ProviderFields,
  type ProviderStatus,
  type ProviderTransition,
} from '../../../core/provider.js';
import { can } from '../../../core/roles.js';

const b64 = (b64url: string) => Buffer.from(b64url, 'base64url').toString('base64');
/** What .NET's RSA.ToXmlString(false) prints for a key. */
const rsaXml = (bits: number) => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const jwk = publicKey.export({ format: 'jwk' });
  return { xml: `<RSAKeyValue><Modulus>${b64(jwk.n!)}</Modulus><Exponent>${b64(jwk.e!)}</Exponent></RSAKeyValue>`, privateKey, jwk };
};
const key2048 = rsaXml(2048);

const fields = (over: Partial<ProviderFields> = {}): ProviderFields => ({
  friendlyName: 'Expenses',
  senderAddresses: ['expenses@contoso.test'],
  targetUrls: ['https://api.expenses.test/actions'],
  entraAppId: '0b7e3a59-5a6c-4f5c-8a51-5d4b0d1c9e01',
  scope: 'Organization',
  testUsers: [],
  notify: [],
  powerAutomate: false,
  ...over,
});

const provider = (over: Partial<Provider> = {}): Provider => ({
  ...fields(),
  id: 'c3f0b7a2-1d4e-4a5b-9c6d-7e8f90a1b2c3',
  tenantId: 'tenant-a',
  appIdUri: 'api://auth-am-x/y',
  status: 'Approved',
  createdBy: { id: 'u', upn: 'u@contoso.test', name: 'U' },
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  version: 3,
  etag: 'e',
  effectiveAt: '2026-12-01T01:00:00.000Z',
  consent: {},
  ...over,
});

describe('the provider status machine', () => {
  const allowed: [ProviderStatus, ProviderTransition, ProviderStatus][] = [
    ['Draft', 'submit', 'Submitted'],
    ['Submitted', 'approve', 'Approved'],
    ['Submitted', 'reject', 'Rejected'],
    ['Submitted', 'withdraw', 'Draft'],
    ['Rejected', 'withdraw', 'Draft'],
    ['Approved', 'suspend', 'Suspended'],
  ];
  test.each(allowed)('%s --%s--> %s', (from, t, to) => {
    expect(providerTransition(from, t)).toEqual({ ok: true, status: to });
  });

  test('every other transition is refused, naming the status', () => {
    const refused = PROVIDER_STATUSES.flatMap((s) => PROVIDER_TRANSITIONS.map((t) => [s, t] as const)).filter(
      ([s, t]) => !allowed.some(([from, tr]) => from === s && tr === t),
    );
    expect(refused.length).toBe(PROVIDER_STATUSES.length * PROVIDER_TRANSITIONS.length - allowed.length);
    for (const [s, t] of refused) {
      const check = providerTransition(s, t);
      expect(check.ok, `${s} ${t}`).toBe(false);
      if (!check.ok) expect(check.reason).toContain(`the provider is ${s}`);
    }
  });

  test('a Suspended provider stays suspended: nothing leads out of it', () => {
    expect(PROVIDER_TRANSITIONS.filter((t) => providerTransition('Suspended', t).ok)).toEqual([]);
  });
});

describe('the public key as <RSAKeyValue>', () => {
  test('a 2048-bit key becomes the same RSA public key, as a JWK and a KeyObject', () => {
    const parsed = parseRsaKeyValue(key2048.xml);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.bits).toBe(2048);
    expect(parsed.jwk).toEqual({ kty: 'RSA', n: key2048.jwk.n, e: key2048.jwk.e });
    // The parsed key verifies what the provider's private key signed.
    const signature = createSign('RSA-SHA256').update('card').sign(key2048.privateKey);
    expect(createVerify('RSA-SHA256').update('card').verify(parsed.key, signature)).toBe(true);
  });

  test('whitespace and line breaks inside the values, as pasted from PowerShell, are accepted', () => {
    const modulus = key2048.xml.match(/<Modulus>(.*)<\/Modulus>/)![1]!;
    const wrapped = `  <RSAKeyValue>\n  <Modulus>${modulus.slice(0, 100)}\n${modulus.slice(100)}</Modulus>\n  <Exponent>AQAB</Exponent>\n</RSAKeyValue>\n`;
    expect(parseRsaKeyValue(wrapped).ok).toBe(true);
  });

  test('a key below 2048 bits is refused, saying how many it has', () => {
    const small = rsaXml(1024);
    expect(parseRsaKeyValue(small.xml)).toEqual({ ok: false, reason: 'the key has 1024 bits; at least 2048 are required' });
  });

  test.each([
    ['-----BEGIN PUBLIC KEY-----\nMIIB…\n-----END PUBLIC KEY-----', 'must be an <RSAKeyValue> element'],
    ['<RSAKeyValue><Exponent>AQAB</Exponent></RSAKeyValue>', 'must contain <Modulus>…</Modulus>'],
    ['<RSAKeyValue><Modulus>AQAB</Modulus></RSAKeyValue>', 'must contain <Exponent>…</Exponent>'],
    ['<RSAKeyValue><Modulus>not*base64!</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>', '<Modulus> is not base64'],
    ['<RSAKeyValue><Modulus>AQAB</Modulus><Exponent>A-QB</Exponent></RSAKeyValue>', '<Exponent> is not base64'],
    [
      '<RSAKeyValue><Modulus>AQAB</Modulus><Exponent>AQAB</Exponent><Extra>1</Extra></RSAKeyValue>',
      'must contain only <Modulus> and <Exponent>',
    ],
  ])('%s is refused: %s', (xml, reason) => {
    expect(parseRsaKeyValue(xml)).toEqual({ ok: false, reason });
  });

  test('a private key (ToXmlString(true)) is refused, naming the private parts', () => {
    const xml = key2048.xml.replace('</RSAKeyValue>', '<P>AQAB</P><D>AQAB</D></RSAKeyValue>');
    expect(parseRsaKeyValue(xml)).toEqual({ ok: false, reason: 'must hold the public key only; remove <P>, <D>' });
  });
});

describe('actionUrlAllowed', () => {
  const p = { targetUrls: ['https://api.expenses.test/actions', 'https://hooks.expenses.test'] };
  test.each([
    ['https://api.expenses.test/actions', true],
    ['https://api.expenses.test/actions/approve?id=1', true],
    ['https://API.expenses.test/actions/x', true],
    ['https://hooks.expenses.test/anything', true],
    ['https://api.expenses.test:443/actions/x', true],
    ['https://api.expenses.test/actionsX', false],
    ['https://api.expenses.test/other', false],
    ['http://api.expenses.test/actions/x', false],
    ['https://api.expenses.test.evil.test/actions/x', false],
    ['https://api.expenses.test:8443/actions/x', false],
    ['https://user:pw@api.expenses.test/actions/x', false],
    ['https://expenses.test/actions', false],
    ['not a url', false],
  ])('%s → %s', (url, allowed) => {
    expect(actionUrlAllowed(p, url)).toBe(allowed);
  });
});

describe('field rules', () => {
  const domains = ['contoso.test', 'contoso.onmicrosoft.test'];
  test('well-formed fields break no rule', () => {
    expect(providerFieldProblems(fields({ publicKey: key2048.xml }), domains)).toEqual([]);
  });

  test('each broken rule names its field', () => {
    const problems = providerFieldProblems(
      fields({
        senderAddresses: ['ok@contoso.test', 'bot@fabrikam.test', 'nope'],
        targetUrls: ['http://api.expenses.test', 'https://api.expenses.test/?q=1'],
        publicKey: '<RSAKeyValue/>',
        scope: 'Organization',
        testUsers: ['x@contoso.test'],
        global: { contact: 'c', publisher: 'p', scenario: 's', verification: 'v' },
      }),
      domains,
    );
    expect(problems).toEqual([
      { field: 'senderAddresses[1]', message: "must be in one of the tenant's domains (contoso.test, contoso.onmicrosoft.test)" },
      { field: 'senderAddresses[2]', message: 'must be an email address' },
      { field: 'targetUrls[0]', message: 'must use https' },
      { field: 'targetUrls[1]', message: 'must be a base URL, without a query or fragment' },
      { field: 'publicKey', message: 'must be an <RSAKeyValue> element' },
      { field: 'testUsers', message: 'only a Test Users submission lists test users' },
      { field: 'global', message: 'only a Global submission carries contact, publisher, scenario and verification details' },
    ]);
  });

  test('test users outside the tenant are refused', () => {
    expect(providerFieldProblems(fields({ scope: 'TestUsers', testUsers: ['eve@fabrikam.test'] }), domains)).toEqual([
      { field: 'testUsers[0]', message: "must be in one of the tenant's domains (contoso.test, contoso.onmicrosoft.test)" },
    ]);
  });

  test('test users are split on ";", trimmed, lower-cased and listed once', () => {
    expect(splitTestUsers(' Ann@Contoso.test; ben@contoso.test;;ann@contoso.test ')).toEqual(['ann@contoso.test', 'ben@contoso.test']);
  });

  test('submitting needs senders, targets and the scope’s own fields', () => {
    expect(providerSubmitProblems(fields({ senderAddresses: [], targetUrls: [] })).map((p) => p.field)).toEqual([
      'senderAddresses',
      'targetUrls',
    ]);
    expect(providerSubmitProblems(fields({ scope: 'TestUsers' })).map((p) => p.field)).toEqual(['testUsers']);
    expect(
      providerSubmitProblems(fields({ scope: 'Global', global: { contact: 'c', publisher: ' ', scenario: 's', verification: '' } })),
    ).toEqual([
      { field: 'global.publisher', message: 'is required for a Global submission' },
      { field: 'global.verification', message: 'is required for a Global submission' },
    ]);
    expect(
      providerSubmitProblems(fields({ scope: 'Global', global: { contact: 'c', publisher: 'p', scenario: 's', verification: 'v' } })),
    ).toEqual([]);
  });

  test('the AppIdUri names the provider and its Entra app', () => {
    expect(appIdUriFor('c3f0b7a2-1d4e-4a5b-9c6d-7e8f90a1b2c3', '0B7E3A59-5A6C-4F5C-8A51-5D4B0D1C9E01')).toBe(
      'api://auth-am-c3f0b7a2-1d4e-4a5b-9c6d-7e8f90a1b2c3/0b7e3a59-5a6c-4f5c-8a51-5d4b0d1c9e01',
    );
  });
});

describe('who sees a provider’s cards (scope rules)', () => {
  const at = new Date('2026-12-02T00:00:00.000Z');
  const home = { upn: 'Ann@contoso.test', tenantId: 'TENANT-A' };
  const other = { upn: 'bob@fabrikam.test', tenantId: 'tenant-b' };

  test('only an Approved provider, once its propagation delay has passed', () => {
    expect(effectiveness(provider(), home, at)).toEqual({ ok: true });
    expect(effectiveness(provider({ status: 'Suspended' }), home, at)).toEqual({
      ok: false,
      reason: 'the provider is Suspended, not Approved',
    });
    expect(isEffectiveFor(provider({ effectiveAt: '2026-12-02T00:00:01.000Z' }), home.upn, home.tenantId, at)).toBe(false);
    expect(isEffectiveFor(provider({ effectiveAt: '2026-12-02T00:00:00.000Z' }), home.upn, home.tenantId, at)).toBe(true);
  });

  test('Test Users: only the listed mailboxes of its tenant', () => {
    const p = provider({ scope: 'TestUsers', testUsers: ['ann@contoso.test'] });
    expect(isEffectiveFor(p, 'ann@contoso.test', 'tenant-a', at)).toBe(true);
    expect(isEffectiveFor(p, 'amy@contoso.test', 'tenant-a', at)).toBe(false);
    expect(isEffectiveFor(p, 'ann@contoso.test', 'tenant-b', at)).toBe(false);
  });

  test('Organization: any mailbox of its tenant, none of another', () => {
    expect(effectiveness(provider(), other, at)).toEqual({ ok: false, reason: "bob@fabrikam.test is not in the provider's organisation" });
  });

  test('Global: its own tenant, and other tenants once their consent has taken effect', () => {
    const consent = {
      by: { id: 'b', upn: 'admin@fabrikam.test', name: 'B' },
      at: '2026-12-01T00:00:00.000Z',
      state: 'Consenting' as const,
    };
    const waiting = provider({ scope: 'Global', consent: { 'tenant-b': { ...consent, effectiveAt: '2026-12-03T00:00:00.000Z' } } });
    expect(isEffectiveFor(waiting, home.upn, home.tenantId, at)).toBe(true);
    expect(consentState(waiting, 'TENANT-B', at)).toBe('Consenting');
    expect(effectiveness(waiting, other, at)).toEqual({
      ok: false,
      reason: "the recipient's tenant has not consented to the provider (Consenting)",
    });
    const consented = provider({ scope: 'Global', consent: { 'tenant-b': { ...consent, effectiveAt: '2026-12-01T00:00:00.000Z' } } });
    expect(consentState(consented, 'tenant-b', at)).toBe('Consented');
    expect(isEffectiveFor(consented, other.upn, other.tenantId, at)).toBe(true);
    expect(consentState(consented, 'tenant-c', at)).toBe('NotConsented');
  });
});

describe('provider roles', () => {
  const caller = (roles: string[]) => ({ tenantId: 't', userId: 'u', roles });
  test('owners write, admins decide and consent, reviewers review', () => {
    expect(can(caller(['Providers.Write']), 'provider.write')).toBe(true);
    expect(can(caller(['Providers.Write']), 'provider.decide')).toBe(false);
    expect(can(caller(['Providers.Approve']), 'provider.decide')).toBe(true);
    expect(can(caller(['Providers.Approve']), 'provider.admin')).toBe(true);
    expect(can(caller(['Providers.Review']), 'provider.review')).toBe(true);
    expect(can(caller(['Messages.Approve']), 'provider.decide')).toBe(false);
  });
});
