// Usage segments on read: a Spotlight message for "inactive Copilot users" reaches the licensed people of
// its group whose last Copilot activity (the Graph usage report) is 28 days old or more, or who never used it.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestHost } from '@herald/devhost/testing';
import { activeMessage, GROUP, idsIn, startInboxHerald } from './inboxSupport.js';
import { as, loadDirectory, TENANT_A, type Client } from './support.js';

let host: TestHost;
beforeAll(async () => {
  host = await startInboxHerald();
});
afterAll(async () => {
  await host?.stop();
});

test('inactive Copilot users: stale or never active, licensed, and in the group', async () => {
  const people = ['recent', 'stale', 'never', 'unlicensed', 'teamsonly'];
  await loadDirectory(host, TENANT_A, {
    users: [
      { userPrincipalName: 'recent@contoso.test', copilotActivity: { word: 3 } },
      { userPrincipalName: 'stale@contoso.test', copilotActivity: { word: 40, excel: 31 } },
      { userPrincipalName: 'never@contoso.test', copilotActivity: {} },
      { userPrincipalName: 'unlicensed@contoso.test' },
      { userPrincipalName: 'teamsonly@contoso.test', copilotActivity: { microsoftTeams: 2 } },
    ],
    groups: [{ id: GROUP, displayName: 'Everyone', members: people.map((p) => `${p}@contoso.test`) }],
  });
  const writer = await as(host, TENANT_A, 'ann@contoso.test', ['Messages.Write'], '30d');
  const approver = await as(host, TENANT_A, 'abe@contoso.test', ['Messages.Approve'], '30d');
  const [inactive, inactiveInTeams] = [
    await activeMessage(host, { writer, approver }, { audience: { groups: [GROUP], segments: ['inactiveCopilotUsers'] } }),
    await activeMessage(host, { writer, approver }, { audience: { groups: [GROUP], segments: ['inactiveCopilotUsersInTeams'] } }),
  ];
  const seen: Record<string, string[]> = {};
  for (const p of people) {
    const client: Client = await as(host, TENANT_A, `${p}@contoso.test`, [], '30d');
    seen[p] = await idsIn(client);
  }
  const reached = (id: string) => people.filter((p) => seen[p]!.includes(id));
  expect(reached(inactive)).toEqual(['stale', 'never']);
  // Teams Copilot: only teamsonly used it lately; recent and stale never used it in Teams.
  expect(reached(inactiveInTeams)).toEqual(['recent', 'stale', 'never']);
});
