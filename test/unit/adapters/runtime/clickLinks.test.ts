import { SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { clickEventId, clickUrl, InvalidClickLink, readClickToken, type ClickLink } from '../../../../adapters/runtime/clickLinks.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const link: ClickLink = {
  tenantId: '11111111-1111-4111-8111-111111111111',
  messageId: 'e6a0b1c2d3e4f5a6b7c8d',
  occurrence: 3,
  userId: 'c0ffee00-0000-4000-8000-000000000001',
  channel: 'email',
  url: 'https://intranet.contoso.test/security?from=herald',
};

const saved = { ...process.env };
beforeEach(() => {
  process.env.CLICK_LINK_SECRET = SECRET;
  process.env.PUBLIC_BASE_URL = 'https://herald.contoso.test/';
  delete process.env.WEBSITE_HOSTNAME;
});
afterEach(() => {
  process.env = { ...saved };
});

const tokenOf = (url: string) => url.split('/api/r/')[1]!;

describe('clickUrl', () => {
  test('is <PUBLIC_BASE_URL>/api/r/<compact JWS> with short claim names, and reads back as the same link', async () => {
    const url = await clickUrl(link);
    expect(url).toMatch(/^https:\/\/herald\.contoso\.test\/api\/r\/[\w-]+\.[\w-]+\.[\w-]+$/);
    const [header, payload] = tokenOf(url)
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>);
    expect(header).toEqual({ alg: 'HS256' });
    expect(Object.keys(payload!).sort()).toEqual(['c', 'l', 'm', 'o', 't', 'u']);
    expect(await readClickToken(tokenOf(url))).toEqual(link);
  });

  test('is byte for byte the compact JWS jose signs for the same claims', async () => {
    const jws = await new SignJWT({ t: link.tenantId, m: link.messageId, o: link.occurrence, u: link.userId, c: link.channel, l: link.url })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SECRET));
    expect(tokenOf(await clickUrl(link))).toBe(jws);
    process.env.CLICK_LINK_SECRET = `${SECRET}-rotated`;
    expect(tokenOf(await clickUrl(link))).not.toBe(jws);
    await expect(readClickToken(jws)).rejects.toBeInstanceOf(InvalidClickLink);
  });

  test('the same link twice is the same URL (so following it again counts once); another recipient gets another', async () => {
    expect(await clickUrl(link)).toBe(await clickUrl(link));
    expect(await clickUrl({ ...link, userId: 'c0ffee00-0000-4000-8000-000000000002' })).not.toBe(await clickUrl(link));
    expect(clickEventId(tokenOf(await clickUrl(link)))).toBe(clickEventId(tokenOf(await clickUrl(link))));
    expect(clickEventId(tokenOf(await clickUrl({ ...link, occurrence: 4 })))).not.toBe(clickEventId(tokenOf(await clickUrl(link))));
    expect(clickEventId(tokenOf(await clickUrl(link))).length).toBeLessThanOrEqual(128);
  });

  test('without PUBLIC_BASE_URL: the host name, http only for localhost', async () => {
    delete process.env.PUBLIC_BASE_URL;
    process.env.WEBSITE_HOSTNAME = 'localhost:7071';
    expect(await clickUrl(link)).toMatch(/^http:\/\/localhost:7071\/api\/r\//);
    process.env.WEBSITE_HOSTNAME = 'herald-prod.azurewebsites.net';
    expect(await clickUrl(link)).toMatch(/^https:\/\/herald-prod\.azurewebsites\.net\/api\/r\//);
    delete process.env.WEBSITE_HOSTNAME;
    await expect(clickUrl(link)).rejects.toThrow(/PUBLIC_BASE_URL/);
  });

  test('refuses to sign without a secret, or with a short one, saying which setting', async () => {
    delete process.env.CLICK_LINK_SECRET;
    await expect(clickUrl(link)).rejects.toThrow(/CLICK_LINK_SECRET is not set/);
    process.env.CLICK_LINK_SECRET = 'short';
    await expect(clickUrl(link)).rejects.toThrow(/CLICK_LINK_SECRET is shorter than 32 characters/);
  });
});

describe('readClickToken', () => {
  test('refuses a token signed with another key, a changed one, an unsigned one and garbage', async () => {
    const token = tokenOf(await clickUrl(link));
    const other = await new SignJWT({ t: link.tenantId, m: link.messageId, o: 0, u: link.userId, c: 'inbox', l: 'https://evil.test/' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('another-secret-that-is-long-enough-012345'));
    const [h, , s] = token.split('.');
    const redirected = `${h}.${Buffer.from(JSON.stringify({ t: link.tenantId, m: link.messageId, o: 3, u: link.userId, c: 'email', l: 'https://evil.test/' })).toString('base64url')}.${s}`;
    const unsigned = new UnsecuredJWT({
      t: link.tenantId,
      m: link.messageId,
      o: 0,
      u: link.userId,
      c: 'inbox',
      l: 'https://evil.test/',
    }).encode();
    for (const bad of [other, redirected, unsigned, 'not-a-token', `${token}x`])
      await expect(readClickToken(bad), bad).rejects.toBeInstanceOf(InvalidClickLink);
  });

  test('refuses a token of ours that does not name a link', async () => {
    const incomplete = await new SignJWT({ t: link.tenantId }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    await expect(readClickToken(incomplete)).rejects.toThrow(/does not name a message/);
  });
});
