/**
 * `GET /beta/reports/getMicrosoft365CopilotUsageUserDetail(period='D7|D30|D90|D180|ALL')?$format=application/json`:
 * one row per Copilot-licensed user with the last activity date per app (null for never, as Graph's JSON
 * has it). The directory keeps "days ago", so dates are computed from the host clock and a test under the
 * test clock reads a report that moves with it.
 */
import { COPILOT_APPS, type CopilotApp } from './directoryFile.js';
import { GraphFault } from './graphErrors.js';
import { option, page, type GraphRequest } from './odata.js';
import type { TenantDirectory } from './tenantDirectory.js';

export const USAGE_REPORT = /^getMicrosoft365CopilotUsageUserDetail\(period='([^']*)'\)$/;
const PERIODS: Record<string, number | null> = { D7: 7, D30: 30, D90: 90, D180: 180, ALL: null };
const PAGE_SIZE = 200;
const DAY_MS = 86_400_000;

const column = (app: CopilotApp) => (app === 'copilotChat' ? 'copilotChatLastActivityDate' : `${app}CopilotLastActivityDate`);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function copilotUsageReport(req: GraphRequest, directory: TenantDirectory, period: string, now: number) {
  if (!(period in PERIODS))
    throw new GraphFault(400, 'BadRequest', `Invalid period '${period}': use one of ${Object.keys(PERIODS).join(', ')}.`);
  const format = option(req, 'format') ?? 'application/json';
  if (format !== 'application/json')
    throw new GraphFault(400, 'BadRequest', `$format '${format}' is not served by this stand-in: use application/json.`);
  const licensed = directory.users.filter((u) => directory.copilotActivity.has(u.id));
  const refreshed = day(now);
  return page(
    req,
    licensed,
    PAGE_SIZE,
    (user) => {
      const activity = directory.copilotActivity.get(user.id)!;
      const days = Object.values(activity);
      const row: Record<string, unknown> = {
        reportRefreshDate: refreshed,
        userPrincipalName: user.userPrincipalName,
        displayName: user.displayName,
        lastActivityDate: days.length > 0 ? day(now - Math.min(...days) * DAY_MS) : null,
      };
      for (const app of COPILOT_APPS) row[column(app)] = activity[app] === undefined ? null : day(now - activity[app] * DAY_MS);
      row.copilotActivityUserDetailsByPeriod = [{ reportPeriod: PERIODS[period] ?? 0 }];
      return row;
    },
    `Collection(microsoft.graph.copilotUsageUserDetail)`,
  );
}
