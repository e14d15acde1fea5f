import { describe, expect, test } from 'vitest';
import {
  audienceMembers,
  isInAudience,
  matchesFilters,
  type AudienceRule,
  type DirectoryUser,
  type UsageRecord,
} from '../../../core/audience.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const rule = (r: Partial<AudienceRule> = {}): AudienceRule => ({
  groups: [],
  companies: [],
  departments: [],
  locations: [],
  segments: [],
  usage: [],
  ...r,
});
const NEVER: UsageRecord = {
  copilot: null,
  teamsCopilot: null,
  wordCopilot: null,
  excelCopilot: null,
  powerPointCopilot: null,
  outlookCopilot: null,
  oneNoteCopilot: null,
  loopCopilot: null,
  copilotChat: null,
};
const ctx = { includeGuests: false, now: NOW };
const amelie: DirectoryUser = {
  id: 'a',
  userPrincipalName: 'Amelie@contoso.test',
  department: 'Sales',
  companyName: 'Contoso SAS',
  officeLocation: 'Paris – Opéra',
  city: 'Paris',
  country: 'France',
  userType: 'Member',
  accountEnabled: true,
};

describe('matchesFilters', () => {
  test('no filters: every reachable user', () => {
    expect(matchesFilters(amelie, rule(), ctx)).toBe(true);
  });
  test('disabled accounts never; guests only when the tenant includes them', () => {
    expect(matchesFilters({ ...amelie, accountEnabled: false }, rule(), { ...ctx, includeGuests: true })).toBe(false);
    expect(matchesFilters({ ...amelie, userType: 'Guest' }, rule(), ctx)).toBe(false);
    expect(matchesFilters({ ...amelie, userType: 'Guest' }, rule(), { ...ctx, includeGuests: true })).toBe(true);
  });
  test('each list is an OR of its values, lists are ANDed, case does not matter', () => {
    expect(matchesFilters(amelie, rule({ departments: ['engineering', 'SALES'] }), ctx)).toBe(true);
    expect(matchesFilters(amelie, rule({ departments: ['Sales'], companies: ['Contoso Ltd'] }), ctx)).toBe(false);
    expect(matchesFilters({ ...amelie, department: null }, rule({ departments: ['Sales'] }), ctx)).toBe(false);
  });
  test('a location matches the office, the city or the country', () => {
    expect(matchesFilters(amelie, rule({ locations: ['paris'] }), ctx)).toBe(true);
    expect(matchesFilters(amelie, rule({ locations: ['France'] }), ctx)).toBe(true);
    expect(matchesFilters(amelie, rule({ locations: ['Paris – Opéra'] }), ctx)).toBe(true);
    expect(matchesFilters(amelie, rule({ locations: ['Berlin', 'Germany'] }), ctx)).toBe(false);
  });
  test('usage segments: licensed (in the report) and inactive for 28 days or more, or never active', () => {
    const usage = (copilot: string | null, teamsCopilot: string | null = null) =>
      new Map<string, UsageRecord>([['amelie@contoso.test', { ...NEVER, copilot, teamsCopilot }]]);
    const inactive = rule({ segments: ['inactiveCopilotUsers'] });
    expect(matchesFilters(amelie, inactive, { ...ctx, usage: usage('2026-11-20') })).toBe(false);
    expect(matchesFilters(amelie, inactive, { ...ctx, usage: usage('2026-10-26') })).toBe(true);
    expect(matchesFilters(amelie, inactive, { ...ctx, usage: usage('2026-10-27') })).toBe(false);
    expect(matchesFilters(amelie, inactive, { ...ctx, usage: usage(null) })).toBe(true);
    expect(matchesFilters(amelie, inactive, { ...ctx, usage: new Map() })).toBe(false);
    const teams = rule({ segments: ['inactiveCopilotUsersInTeams'] });
    expect(matchesFilters(amelie, teams, { ...ctx, usage: usage('2026-11-20', null) })).toBe(true);
    expect(matchesFilters(amelie, teams, { ...ctx, usage: usage(null, '2026-11-22') })).toBe(false);
  });
  test('"Inactive Copilot users in Teams: … have not used Copilot in Teams in the prior 30 days"', () => {
    const usage = (teamsCopilot: string) => new Map<string, UsageRecord>([['amelie@contoso.test', { ...NEVER, teamsCopilot }]]);
    const teams = rule({ segments: ['inactiveCopilotUsersInTeams'] });
    // NOW is 2026-11-23: 29 days ago is still active in the window, 30 days ago is not.
    expect(matchesFilters(amelie, teams, { ...ctx, usage: usage('2026-10-25') })).toBe(false);
    expect(matchesFilters(amelie, teams, { ...ctx, usage: usage('2026-10-24') })).toBe(true);
  });
  test('"Inactive Copilot users: … have not used Copilot in the prior 28 days"', () => {
    const usage = (copilot: string) => new Map<string, UsageRecord>([['amelie@contoso.test', { ...NEVER, copilot }]]);
    const inactive = rule({ segments: ['inactiveCopilotUsers'] });
    expect(matchesFilters(amelie, inactive, { ...ctx, usage: usage('2026-10-27') })).toBe(false);
    expect(matchesFilters(amelie, inactive, { ...ctx, usage: usage('2026-10-26') })).toBe(true);
  });
  test('"target by Companies, Departments, Locations, and Usage": licensed for a product and inactive in it for N days', () => {
    const usage = (record: Partial<UsageRecord>) => new Map<string, UsageRecord>([['amelie@contoso.test', { ...NEVER, ...record }]]);
    const word14 = rule({ usage: [{ product: 'wordCopilot', inactiveDays: 14 }] });
    expect(matchesFilters(amelie, word14, { ...ctx, usage: usage({ wordCopilot: '2026-11-09' }) })).toBe(true);
    expect(matchesFilters(amelie, word14, { ...ctx, usage: usage({ wordCopilot: '2026-11-10' }) })).toBe(false);
    expect(matchesFilters(amelie, word14, { ...ctx, usage: usage({}) })).toBe(true);
    // Not in the report: no Copilot licence, nothing to be inactive in.
    expect(matchesFilters(amelie, word14, { ...ctx, usage: new Map() })).toBe(false);
    // Several filters: inactive in each.
    const both = rule({ usage: [...word14.usage, { product: 'copilotChat', inactiveDays: 7 }] });
    expect(matchesFilters(amelie, both, { ...ctx, usage: usage({ wordCopilot: '2026-11-01', copilotChat: '2026-11-20' }) })).toBe(false);
    expect(matchesFilters(amelie, both, { ...ctx, usage: usage({ wordCopilot: '2026-11-01', copilotChat: '2026-11-01' }) })).toBe(true);
  });
});

test('isInAudience: one of the named groups (ids compared in lower case), then the filters', () => {
  const groups = new Set(['0b0b0b0b-0000-4000-8000-00000000000a']);
  expect(isInAudience(amelie, groups, rule({ groups: ['0B0B0B0B-0000-4000-8000-00000000000A'] }), ctx)).toBe(true);
  expect(isInAudience(amelie, groups, rule({ groups: ['0b0b0b0b-0000-4000-8000-00000000000b'] }), ctx)).toBe(false);
  expect(isInAudience(amelie, groups, rule({ groups: ['0b0b0b0b-0000-4000-8000-00000000000a'], departments: ['HR'] }), ctx)).toBe(false);
  expect(isInAudience(amelie, new Set(), rule(), ctx)).toBe(true);
});

describe('audienceMembers', () => {
  const bob: DirectoryUser = { ...amelie, id: 'b', department: 'Engineering' };
  const carl: DirectoryUser = { ...amelie, id: 'c', accountEnabled: false };
  async function* pages(...p: DirectoryUser[][]) {
    yield* p;
  }
  const from = {
    groupMembers: (g: string) => (g === 'sales' ? pages([amelie], [carl]) : pages([bob, amelie])),
    allUsers: () => pages([bob], [amelie, carl]),
  };
  const ids = async (r: AudienceRule) => {
    const out: string[] = [];
    for await (const u of audienceMembers(r, ctx, from)) out.push(u.id);
    return out;
  };

  test("the groups' members, each once, in directory order, through the filters", async () => {
    expect(await ids(rule({ groups: ['sales', 'eng'] }))).toEqual(['a', 'b']);
    expect(await ids(rule({ groups: ['sales', 'eng'], departments: ['engineering'] }))).toEqual(['b']);
  });

  test('everyone the directory has when no group is named', async () => {
    expect(await ids(rule())).toEqual(['b', 'a']);
  });
});
