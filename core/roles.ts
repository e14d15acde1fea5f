/** Entra app roles (the token's `roles` claim) and what each lets a caller do. Pure. */

export const ROLES = [
  'Messages.Write',
  'Messages.Approve',
  'Reports.Read',
  'Notifications.Send.Groups',
  'Notifications.Send.Device',
  'Tenant.Admin',
  /** Registers and manages the tenant's actionable-message providers (docs/actionable.md). */
  'Providers.Write',
  /** The tenant's Exchange or Global admins: decide Organization submissions, consent to Global providers, suspend. */
  'Providers.Approve',
  /** Herald's own reviewers of Global submissions; counts only in the platform's tenant (PLATFORM_TENANT_ID). */
  'Providers.Review',
] as const;
export type Role = (typeof ROLES)[number];

export const ACTIONS = {
  'message.read': ['Messages.Write', 'Messages.Approve'],
  'message.write': ['Messages.Write'],
  'message.decide': ['Messages.Approve'],
  /** Review activity: part of the writers' experience, and what report-only readers hold Reports.Read for. */
  'report.read': ['Reports.Read', 'Messages.Write'],
  /** Delivery progress and per-recipient status: the message's writers and approvers, and report readers. */
  'delivery.read': ['Messages.Write', 'Messages.Approve', 'Reports.Read'],
  'tenant.configure': ['Tenant.Admin'],
  /** Searching the directory's groups: writers for audiences, admins for delivery policies. */
  'directory.search': ['Messages.Write', 'Tenant.Admin'],
  /** People's devices and why they get nothing on Windows surfaces: for whoever runs the tenant, not the writers. */
  'tenant.readiness': ['Tenant.Admin'],
  /** Any role of the tenant may read its settings. */
  'tenant.read': ROLES,
  'notification.sendGroups': ['Notifications.Send.Groups'],
  'notification.sendDevice': ['Notifications.Send.Device'],
  /** The notification history and per-device status: whoever may send. */
  'notification.read': ['Notifications.Send.Groups', 'Notifications.Send.Device'],
  /** The tenant's providers: their owners and the admins who decide on them. */
  'provider.read': ['Providers.Write', 'Providers.Approve'],
  'provider.write': ['Providers.Write'],
  /** Approve, reject, suspend: the tenant's admins, or the platform's reviewers for Global submissions. */
  'provider.decide': ['Providers.Approve', 'Providers.Review'],
  /** Consent to other tenants' Global providers, and the approved providers' export. */
  'provider.admin': ['Providers.Approve'],
  'provider.review': ['Providers.Review'],
} as const satisfies Record<string, readonly Role[]>;
export type Action = keyof typeof ACTIONS;

export interface Caller {
  tenantId: string;
  userId: string;
  roles: readonly string[];
}

export const can = (caller: Caller, action: Action) => (ACTIONS[action] as readonly string[]).some((r) => caller.roles.includes(r));

/** An approver never approves or rejects their own message. */
export const mayDecide = (caller: Caller, authorId: string) => can(caller, 'message.decide') && caller.userId !== authorId;
