/**
 * Recipient prerequisites of the Windows surfaces (the document's "Requirements"): "any message configured
 * to be delivered to a Windows channel, like Windows Spotlight, requires that recipients use Windows 11
 * Enterprise", and "only Microsoft Entra ID joined devices are supported. Microsoft Entra (AD) hybrid
 * joined devices aren't supported." A device reports its edition and join type with its inbox calls; one
 * that does not meet them is left out, with the reason, so the readiness page can show who cannot receive.
 */
import { z } from 'zod';

export const JOIN_TYPES = ['entraJoined', 'hybridJoined', 'entraRegistered', 'none'] as const;
export type JoinType = (typeof JOIN_TYPES)[number];

/** What a device says of itself on `GET /api/inbox` (all optional: a device that says nothing is served). */
export const DeviceReport = z.object({
  /** As Windows names it, e.g. `Windows 11 Enterprise` (`Get-ComputerInfo` OsName without "Microsoft"). */
  osEdition: z.string().trim().min(1, 'must be 1 to 100 characters').max(100, 'must be 1 to 100 characters').optional(),
  joinType: z.enum(JOIN_TYPES, { error: `must be one of ${JOIN_TYPES.join(', ')}` }).optional(),
  /** The computer's name, so an admin can tell one person's devices apart; not part of the rule. */
  deviceName: z
    .string()
    .trim()
    .min(1, 'must be 1 to 64 characters')
    .max(64, 'must be 1 to 64 characters')
    .regex(/^\P{Cc}+$/u, 'must not contain control characters')
    .optional(),
});
export type DeviceReport = z.output<typeof DeviceReport>;

/** Whether the device said anything the prerequisites judge; one that did not is neither served less nor recorded. */
export const reportsPrerequisites = (report: DeviceReport) => report.osEdition !== undefined || report.joinType !== undefined;

const WINDOWS_11_ENTERPRISE = /^(microsoft\s+)?windows\s+11\s+enterprise\b/i;

/** Why the device cannot show Windows-surface messages, or undefined when it can (or said nothing). */
export function windowsSurfaceBlocker(report: DeviceReport): string | undefined {
  if (report.osEdition !== undefined && !WINDOWS_11_ENTERPRISE.test(report.osEdition))
    return `Windows surfaces need Windows 11 Enterprise; this device runs ${report.osEdition}`;
  if (report.joinType !== undefined && report.joinType !== 'entraJoined')
    return report.joinType === 'hybridJoined'
      ? 'Microsoft Entra hybrid joined devices are not supported; the device must be Microsoft Entra joined'
      : `only Microsoft Entra joined devices are supported; this device is ${report.joinType === 'none' ? 'not joined' : 'only Entra registered'}`;
  return undefined;
}
