/**
 * The console in a real browser: Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium; `.ci/run` installs it)
 * driven by playwright-core, which downloads no browser. Every page a test visits is screenshotted into
 * test-artifacts/browser/ and checked with axe-core for serious and critical accessibility violations.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'browser');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export const launch = (): Promise<Browser> =>
  chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] });

/** Saves the page as `<test>-<n>-<what>.png` and fails on any serious or critical axe-core violation. */
export async function visit(page: Page, what: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${what}.png`), fullPage: true });
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (c: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> };
      }
    ).axe;
    // Fluent's focus manager (Tabster) puts aria-hidden focusable sentinels at the edges of its groups; focus on
    // one is moved on at once, so a screen reader never lands on it: axe's aria-hidden-focus does not apply to them.
    const result = await axe.run({ exclude: [['[data-tabster-dummy]']] } as never);
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  expect(violations, `accessibility of ${what}`).toEqual([]);
}

/** Until `check` holds, asking again after each `between` (a page reload, a click); fails after `timeoutMs`. */
export async function eventually(
  page: Page,
  what: string,
  check: () => Promise<boolean>,
  between: () => Promise<unknown>,
  timeoutMs = 300_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `timed-out-${what.replace(/\W+/g, '-')}.png`), fullPage: true });
      throw new Error(`timed out waiting for ${what}`);
    }
    await between();
  }
}

/** Signs in through devhost's stand-in sign-in page as `upn` of `tenant` with `roles`. */
export async function signIn(page: Page, host: TestHost, tenant: string, upn: string, roles: string[], shot?: string) {
  await page.goto(`${host.url}/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/devhost\/identity\/organizations\/oauth2\/v2\.0\/authorize/);
  await page.getByLabel(/App roles/).fill(roles.join(' '));
  if (shot) await visit(page, shot);
  await page.locator(`button[value="${tenant}|${upn}"]`).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
}

/** The browser's local time as a datetime-local input takes it, `minutes` from now. */
export const localInput = (page: Page, minutes: number) =>
  page.evaluate((m) => {
    const d = new Date(Date.now() + m * 60_000);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  }, minutes);
