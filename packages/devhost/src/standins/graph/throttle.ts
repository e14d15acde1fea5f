/**
 * Throttling for the Graph stand-in, off unless switched on: Teams' published activity-feed limits (per app
 * per tenant: 5 requests/s for single sends, 2 requests/s for bulk sends) and/or one requests-per-second
 * limit on every Graph call, per app per tenant. Windows are one second of wall-clock time: a rate is about
 * how fast requests really arrive, whatever the host clock says.
 */
import { GraphFault } from './graphErrors.js';

export type TeamsSend = 'single' | 'bulk';
export const TEAMS_LIMITS: Record<TeamsSend, number> = { single: 5, bulk: 2 };

export interface ThrottleSettings {
  /** Teams' real per-app-per-tenant limits on activity notifications. */
  teams: boolean;
  /** A limit on every Graph call, per app per tenant; null for none. */
  requestsPerSecond: number | null;
}

const WINDOW_MS = 1000;

export class Throttle {
  settings: ThrottleSettings = { teams: false, requestsPerSecond: null };
  /** Requests answered 429 since start. */
  throttled = 0;
  #accepted = new Map<string, number[]>();

  configure(settings: ThrottleSettings): void {
    this.settings = settings;
    this.#accepted.clear();
  }

  /** Admits one request or throws a 429 GraphFault with `Retry-After` (whole seconds, at least 1). */
  admit(tenant: string, app: string, teams: TeamsSend | undefined): void {
    const limits: [string, number][] = [];
    if (this.settings.requestsPerSecond !== null) limits.push([`${tenant}|${app}|all`, this.settings.requestsPerSecond]);
    if (this.settings.teams && teams) limits.push([`${tenant}|${app}|teams-${teams}`, TEAMS_LIMITS[teams]]);
    const now = Date.now();
    for (const [key, limit] of limits) {
      const times = (this.#accepted.get(key) ?? []).filter((t) => t > now - WINDOW_MS);
      this.#accepted.set(key, times);
      if (times.length >= limit) {
        this.throttled++;
        const retryAfter = Math.max(1, Math.ceil((times[0]! + WINDOW_MS - now) / 1000));
        throw new GraphFault(
          429,
          'TooManyRequests',
          `Too many requests: at most ${limit} a second for this app in this tenant${teams ? ` (Teams ${teams} activity notifications)` : ''}. Retry after ${retryAfter} s.`,
          { 'Retry-After': String(retryAfter), 'x-ms-throttle-scope': `Tenant_Application/ReadWrite/${tenant}/${app}` },
        );
      }
    }
    for (const [key] of limits) this.#accepted.get(key)!.push(now);
  }
}
