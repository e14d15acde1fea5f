/**
 * The tenant's delivery policies: the Windows settings the product document's "Set tenant policies" section
 * makes admins check device policy by device policy (Intune's Experience settings), kept by Herald and
 * assigned to groups, so the inbox, the audience estimate and the readiness page all judge by one rule.
 * Pure: the person's groups and the policies come in as values.
 */
import { z } from 'zod';
import { SURFACES, type Surface } from './eligibility.js';

/**
 * Each setting as Intune names it, and the surfaces it stops when set the blocking way. "Allow Windows
 * Spotlight" is the parent of the Action Center, Tips and lock-screen settings, so turning it off stops all
 * three surfaces; "Disable Cloud Optimized Content" must be Disabled, so it blocks when on.
 */
export const POLICY_SETTINGS = {
  enableOrganizationalMessages: { label: 'Enable delivery of organizational messages', blocksWhen: false, surfaces: SURFACES },
  allowSpotlight: { label: 'Allow Windows Spotlight', blocksWhen: false, surfaces: SURFACES },
  spotlightOnActionCenter: { label: 'Allow Windows Spotlight on Action Center', blocksWhen: false, surfaces: ['notificationCenter'] },
  windowsTips: { label: 'Allow Windows Tips', blocksWhen: false, surfaces: ['taskbar'] },
  spotlightOnLockScreen: { label: 'Configure Windows Spotlight on Lock Screen', blocksWhen: false, surfaces: ['spotlight'] },
  disableCloudOptimizedContent: { label: 'Disable Cloud Optimized Content', blocksWhen: true, surfaces: SURFACES },
} as const satisfies Record<string, { label: string; blocksWhen: boolean; surfaces: readonly Surface[] }>;
export type PolicySetting = keyof typeof POLICY_SETTINGS;
export const POLICY_SETTING_NAMES = Object.keys(POLICY_SETTINGS) as PolicySetting[];

const setting = z.boolean({ error: 'must be true or false' }).optional();

/** A setting left out is "not configured": it neither allows nor blocks. */
export const PolicySettings = z
  .object(Object.fromEntries(POLICY_SETTING_NAMES.map((name) => [name, setting])) as Record<PolicySetting, typeof setting>)
  .strict();
export type PolicySettings = z.output<typeof PolicySettings>;

export interface DeliveryPolicy {
  id: string;
  name: string;
  /** Entra group object ids; the policy applies to their transitive members. */
  groups: readonly string[];
  settings: PolicySettings;
}

/** Why a surface gets nothing for a person: the first policy (by name) and setting that blocks it. */
export interface PolicyBlock {
  surface: Surface;
  policyId: string;
  policyName: string;
  setting: PolicySetting;
  reason: string;
}

const SURFACE_NAME: Record<Surface, string> = {
  spotlight: 'Spotlight',
  notificationCenter: 'Notification Center',
  taskbar: 'the Taskbar',
};

/** The surfaces a policy blocks for everyone it applies to, each with the setting that blocks it. */
export function policyBlocks(policy: Pick<DeliveryPolicy, 'id' | 'name' | 'settings'>): PolicyBlock[] {
  const out: PolicyBlock[] = [];
  for (const surface of SURFACES) {
    const name = POLICY_SETTING_NAMES.find((s) => {
      const rule = POLICY_SETTINGS[s];
      return policy.settings[s] === rule.blocksWhen && (rule.surfaces as readonly Surface[]).includes(surface);
    });
    if (name)
      out.push({
        surface,
        policyId: policy.id,
        policyName: policy.name,
        setting: name,
        reason: `delivery policy "${policy.name}" blocks ${SURFACE_NAME[surface]}: ${POLICY_SETTINGS[name].label} is ${POLICY_SETTINGS[name].blocksWhen ? 'on' : 'off'}`,
      });
  }
  return out;
}

/** Whether the policy applies to someone in these groups (ids compared in lower case, as the directory's are). */
export const appliesTo = (policy: Pick<DeliveryPolicy, 'groups'>, userGroups: ReadonlySet<string>) =>
  policy.groups.some((g) => userGroups.has(g.toLowerCase()));

/**
 * What blocks the surface for a person in `userGroups`, or undefined when nothing does. A block wins over an
 * allow (as conflicting Intune settings leave a device blocked); of several, the policy first by name is named.
 */
export function surfaceBlock(
  surface: Surface,
  userGroups: ReadonlySet<string>,
  policies: readonly DeliveryPolicy[],
): PolicyBlock | undefined {
  const ordered = [...policies].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  for (const policy of ordered) {
    if (!appliesTo(policy, userGroups)) continue;
    const block = policyBlocks(policy).find((b) => b.surface === surface);
    if (block) return block;
  }
  return undefined;
}
