/**
 * A made-up but plausible organisation for the Graph stand-in: several companies, departments and offices
 * in several countries, a few guests and disabled accounts, security and Microsoft 365 groups nested a few
 * levels deep, and Copilot activity per licensed user. The same seed always gives the same organisation
 * (the generator has its own PRNG), and user ids are the issuer's `objectId(tenant, upn)`, so a token
 * minted for a UPN carries the `oid` of that directory user.
 */
import { prng } from '../random.js';
import { objectId } from '../identity/issuer.js';
import {
  COPILOT_APPS,
  type CopilotApp,
  type DirectoryFile,
  type DirectoryFileGroup,
  type DirectoryFileUser,
} from './graph/directoryFile.js';

/** The tenant `npm start` serves when no directory is stored: mint tokens for it with `npm run token -- --tenant …`. */
export const SAMPLE_TENANT_ID = '5ea1e7c4-0b5d-4c1e-9a7f-3d2b8e6f1a90';

export interface SampleOrgOptions {
  tenantId?: string;
  users?: number;
  seed?: number;
}

interface Weighted<T> {
  value: T;
  weight: number;
}

function picker<T>(items: Weighted<T>[]): (r: number) => T {
  const total = items.reduce((s, i) => s + i.weight, 0);
  return (r) => {
    let x = r * total;
    for (const i of items) if ((x -= i.weight) < 0) return i.value;
    return items[items.length - 1]!.value;
  };
}

const COMPANIES = [
  { value: { name: 'Contoso Ltd', domain: 'contoso.test' }, weight: 50 },
  { value: { name: 'Fabrikam Inc', domain: 'fabrikam.test' }, weight: 25 },
  { value: { name: 'Northwind Traders', domain: 'northwind.test' }, weight: 15 },
  { value: { name: 'Tailspin Toys', domain: 'tailspin.test' }, weight: 10 },
];
const TENANT_DOMAIN = 'contoso.onmicrosoft.test';

const DEPARTMENTS = [
  { value: 'Engineering', weight: 22 },
  { value: 'Sales', weight: 16 },
  { value: 'Marketing', weight: 9 },
  { value: 'Customer Support', weight: 12 },
  { value: 'Finance', weight: 7 },
  { value: 'Human Resources', weight: 5 },
  { value: 'Legal', weight: 3 },
  { value: 'Operations', weight: 11 },
  { value: 'Product', weight: 8 },
  { value: 'IT', weight: 7 },
];

type Region = 'Europe' | 'Americas' | 'Asia Pacific';
interface Office {
  city: string;
  country: string;
  usageLocation: string;
  office: string;
  region: Region;
  language: string;
}
const OFFICES: Weighted<Office>[] = [
  {
    value: {
      city: 'Seattle',
      country: 'United States',
      usageLocation: 'US',
      office: 'Seattle - Lake Union',
      region: 'Americas',
      language: 'en-US',
    },
    weight: 24,
  },
  {
    value: {
      city: 'New York',
      country: 'United States',
      usageLocation: 'US',
      office: 'New York - Hudson Yards',
      region: 'Americas',
      language: 'en-US',
    },
    weight: 14,
  },
  {
    value: {
      city: 'London',
      country: 'United Kingdom',
      usageLocation: 'GB',
      office: 'London - Kings Cross',
      region: 'Europe',
      language: 'en-GB',
    },
    weight: 16,
  },
  {
    value: { city: 'Paris', country: 'France', usageLocation: 'FR', office: 'Paris - La Défense', region: 'Europe', language: 'fr-FR' },
    weight: 11,
  },
  {
    value: { city: 'Berlin', country: 'Germany', usageLocation: 'DE', office: 'Berlin - Mitte', region: 'Europe', language: 'de-DE' },
    weight: 10,
  },
  {
    value: { city: 'Madrid', country: 'Spain', usageLocation: 'ES', office: 'Madrid - Castellana', region: 'Europe', language: 'es-ES' },
    weight: 8,
  },
  {
    value: {
      city: 'Tokyo',
      country: 'Japan',
      usageLocation: 'JP',
      office: 'Tokyo - Marunouchi',
      region: 'Asia Pacific',
      language: 'ja-JP',
    },
    weight: 10,
  },
  {
    value: {
      city: 'Sydney',
      country: 'Australia',
      usageLocation: 'AU',
      office: 'Sydney - Barangaroo',
      region: 'Asia Pacific',
      language: 'en-GB',
    },
    weight: 7,
  },
];
const LANGUAGES = ['en-US', 'en-GB', 'fr-FR', 'de-DE', 'es-ES', 'ja-JP'];

const FIRST = (
  'Ann Ben Chloé Dmitri Emma Farah Gabriel Hana Ines Jonas Kenji Lena Mateo Nora Omar Priya Quentin Rosa Sven Tomás ' +
  'Uma Victor Wen Xavier Yuki Zoe Aiko Bruno Camille Diego Elif Felix Greta Hugo Ivy Jamal Klara Liam Maya Nils ' +
  'Olivia Pablo Rina Sofia Theo Ursula Valentina William Yasmin Zara Amelie Carlos Daniel Eva Finn Hiro Isabel Lucas Marie Noah'
).split(' ');
const LAST = (
  'Smith Müller Dubois García Tanaka Brown Schmidt Martin López Suzuki Wilson Fischer Bernard Martínez Sato Taylor Weber ' +
  'Petit Sánchez Watanabe Evans Meyer Durand Pérez Ito Walker Wagner Leroy Gómez Yamamoto Hughes Becker Moreau Díaz ' +
  'Nakamura Clarke Hoffmann Laurent Romero Kobayashi Wright Schulz Simon Navarro Kato Hall Koch Michel Torres Yoshida ' +
  'Green Richter Lefebvre Ramos Yamada Baker Klein Garnier Ortiz Sasaki'
).split(' ');

/** Microsoft 365 groups: a share of the staff (guests may join Project groups), none nested (M365 groups cannot be). */
const M365_GROUPS = [
  { name: 'Copilot Champions', share: 0.04, guests: false },
  { name: 'Project Phoenix', share: 0.03, guests: true },
  { name: 'Social Club', share: 0.12, guests: false },
  { name: 'Leadership Team', share: 0.01, guests: false },
  { name: 'New Joiners', share: 0.06, guests: false },
];

const ascii = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
const nickname = (s: string) => ascii(s).replace(/[^a-z0-9]+/g, '');

/** Generates the organisation; `users` is the total head count, guests included. */
export function generateSampleOrg(options: SampleOrgOptions = {}): Required<Pick<DirectoryFile, 'tenantId' | 'users' | 'groups'>> {
  const tenantId = options.tenantId ?? SAMPLE_TENANT_ID;
  const count = options.users ?? 50;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`users must be a positive whole number, got ${count}`);
  const random = prng(options.seed ?? 1);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  const company = picker(COMPANIES);
  const department = picker(DEPARTMENTS);
  const office = picker(OFFICES);

  const users: DirectoryFileUser[] = [];
  const taken = new Map<string, number>();
  const byDepartment = new Map<string, string[]>(DEPARTMENTS.map((d) => [d.value, []]));
  const byCity = new Map<string, string[]>(OFFICES.map((o) => [o.value.city, []]));
  const byCompany = new Map<string, string[]>(COMPANIES.map((c) => [c.value.name, []]));
  const members: string[] = [];
  const guests: string[] = [];

  for (let i = 0; i < count; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const local = `${ascii(first)}.${ascii(last).replace(/[^a-z]/g, '')}`;
    const n = (taken.get(local) ?? 0) + 1;
    taken.set(local, n);
    const handle = n === 1 ? local : `${local}${n}`;
    const displayName = `${first} ${last}`;
    // The first two people are ordinary staff, so the start-up hint can name them as sample users.
    const guest = i >= 2 && random() < 0.02;
    if (guest) {
      const partner = pick(['partner.test', 'agency.test', 'consulting.test']);
      const upn = `${handle}_${partner}#EXT#@${TENANT_DOMAIN}`;
      const id = objectId(tenantId, upn);
      users.push({ id, userPrincipalName: upn, displayName: `${displayName} (Guest)`, mail: `${handle}@${partner}`, userType: 'Guest' });
      guests.push(id);
      continue;
    }
    const c = company(random());
    const dept = department(random());
    const o = office(random());
    const upn = `${handle}@${c.domain}`;
    const id = objectId(tenantId, upn);
    // Most people use their office's language; some have picked another.
    const language = random() < 0.85 ? o.language : pick(LANGUAGES);
    const user: DirectoryFileUser = {
      id,
      userPrincipalName: upn,
      displayName,
      mail: upn,
      department: dept,
      companyName: c.name,
      officeLocation: o.office,
      city: o.city,
      country: o.country,
      usageLocation: o.usageLocation,
      preferredLanguage: language,
    };
    if (i >= 2 && random() < 0.02) user.accountEnabled = false;
    const activity = copilotActivity(random);
    if (activity) user.copilotActivity = activity;
    users.push(user);
    members.push(id);
    byDepartment.get(dept)!.push(id);
    byCity.get(o.city)!.push(id);
    byCompany.get(c.name)!.push(id);
  }

  const groups: DirectoryFileGroup[] = [];
  const group = (name: string, memberIds: string[], kind: 'security' | 'm365', description: string): string => {
    const id = objectId(tenantId, `group:${name}`);
    const nick = nickname(name);
    groups.push(
      kind === 'm365'
        ? {
            id,
            displayName: name,
            description,
            mail: `${nick}@${TENANT_DOMAIN}`,
            mailNickname: nick,
            mailEnabled: true,
            securityEnabled: false,
            groupTypes: ['Unified'],
            members: memberIds,
          }
        : {
            id,
            displayName: name,
            description,
            mailNickname: nick,
            mailEnabled: false,
            securityEnabled: true,
            groupTypes: [],
            members: memberIds,
          },
    );
    return id;
  };

  const departmentGroups = DEPARTMENTS.map(({ value }) =>
    group(`Department - ${value}`, byDepartment.get(value)!, 'security', `Everyone in ${value}`),
  );
  group('All Staff', departmentGroups, 'security', 'Every employee, through the department groups');
  const regions = new Map<Region, string[]>();
  for (const { value: o } of OFFICES) {
    const id = group(`Office - ${o.city}`, byCity.get(o.city)!, 'security', `Everyone based in ${o.office}`);
    regions.set(o.region, [...(regions.get(o.region) ?? []), id]);
  }
  const regionGroups = [...regions].map(([region, offices]) => group(`All ${region}`, offices, 'security', `Every office in ${region}`));
  group('Global Offices', regionGroups, 'security', 'Every region, through the regional groups');
  for (const { value: c } of COMPANIES) group(`${c.name} Employees`, byCompany.get(c.name)!, 'security', `Employees of ${c.name}`);
  for (const g of M365_GROUPS) {
    const pool = g.guests ? [...members, ...guests] : members;
    // Everybody has a chance, so a person ends up in several groups; at least one member keeps a group real.
    const chosen = pool.filter(() => random() < g.share);
    group(g.name, chosen.length > 0 ? chosen : pool.slice(0, 1), 'm365', `${g.name} (Microsoft 365 group)`);
  }
  return { tenantId, users, groups };
}

/** Licensed users' days since last Copilot use per app; about one in eight never used it, a tenth has no licence. */
function copilotActivity(random: () => number): Partial<Record<CopilotApp, number>> | undefined {
  if (random() < 0.1) return undefined;
  if (random() < 0.125) return {};
  const activity: Partial<Record<CopilotApp, number>> = {};
  // Recent use is more common than old: squaring a uniform number skews towards zero.
  for (const app of COPILOT_APPS) if (random() < 0.4) activity[app] = Math.floor(random() ** 2 * 120);
  return activity;
}
