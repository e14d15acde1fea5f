/**
 * The file a Graph stand-in directory is loaded from (and saved to): one tenant's users, groups, devices and
 * group memberships, plus each licensed user's Copilot activity as "days ago", so the usage report reads the
 * same relative to whatever time the host clock says. Hand-written files may leave ids out (users get
 * `objectId(tenant, upn)`, as tokens do) and name member users by UPN.
 */
import { z } from 'zod';

/** The Microsoft 365 apps the Copilot usage report has a last-activity column for. */
export const COPILOT_APPS = ['microsoftTeams', 'word', 'excel', 'powerPoint', 'outlook', 'oneNote', 'loop', 'copilotChat'] as const;
export type CopilotApp = (typeof COPILOT_APPS)[number];

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a GUID');
const text = z.string().nullable().optional();

export const DirectoryFileUser = z.object({
  id: guid.optional(),
  userPrincipalName: z.string().min(3).includes('@', { message: 'must contain @' }),
  displayName: text,
  givenName: text,
  surname: text,
  jobTitle: text,
  mail: text,
  department: text,
  companyName: text,
  officeLocation: text,
  city: text,
  country: text,
  usageLocation: text,
  preferredLanguage: text,
  userType: z.enum(['Member', 'Guest']).optional(),
  accountEnabled: z.boolean().optional(),
  /** Present when the user has a Copilot licence: days since the last activity per app (an app left out: never). */
  copilotActivity: z.partialRecord(z.enum(COPILOT_APPS), z.number().int().min(0)).optional(),
});
export type DirectoryFileUser = z.infer<typeof DirectoryFileUser>;

/**
 * An Entra device object. Groups may hold devices (for Intune targeting) beside users and groups; Graph's
 * user cast leaves them out, which is what apps resolving a group to people rely on.
 */
export const DirectoryFileDevice = z.object({
  id: guid,
  displayName: z.string().min(1),
  /** The device's own id (from its registration), not the directory object id. */
  deviceId: guid.optional(),
  operatingSystem: text,
  operatingSystemVersion: text,
  accountEnabled: z.boolean().default(true),
  trustType: z.enum(['Workplace', 'AzureAd', 'ServerAd']).nullable().optional(),
  isCompliant: z.boolean().nullable().optional(),
  isManaged: z.boolean().nullable().optional(),
});
export type DirectoryFileDevice = z.input<typeof DirectoryFileDevice>;

export const DirectoryFileGroup = z.object({
  id: guid,
  displayName: z.string().min(1),
  description: text,
  mail: text,
  mailNickname: text,
  mailEnabled: z.boolean().default(false),
  securityEnabled: z.boolean().default(true),
  /** `['Unified']` for a Microsoft 365 group; empty for a security group. */
  groupTypes: z.array(z.string()).default([]),
  /** Ids of member users, groups and devices (a user may also be named by its userPrincipalName). */
  members: z.array(z.string().min(1)).default([]),
});
export type DirectoryFileGroup = z.input<typeof DirectoryFileGroup>;

export const DirectoryFile = z.object({
  tenantId: guid.optional(),
  users: z.array(DirectoryFileUser),
  groups: z.array(DirectoryFileGroup).default([]),
  devices: z.array(DirectoryFileDevice).default([]),
});
export type DirectoryFile = z.input<typeof DirectoryFile>;
