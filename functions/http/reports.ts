/**
 * Reports (role Reports.Read):
 * - `GET /api/reports/activity`: totals and daily series (impressions — "messages seen" —, clicks and
 *   click-through rate, with every other counter beside them) over a range of days in the tenant's time
 *   zone, every day present; filters on status, location, objective and one message.
 * - `GET /api/reports/activity.csv`: the same filters, one row per message and day with activity.
 * - `GET /api/messages/{id}/recipients.csv`: each recipient's delivery status and what they did, unless
 *   the tenant switched per-recipient reports off.
 * A CSV answer is a 303 to a short-lived link of the finished file (adapters/stores/exportStore).
 */
import type { HttpResponseInit } from '@azure/functions';
import { DateTime } from 'luxon';
import type { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { engagements, type Engagement } from '../../adapters/stores/counterStore.js';
import { listOccurrences, readBatch } from '../../adapters/stores/deliveryStore.js';
import { CHANNEL_OF, type Delivery, isPushChannel } from '../../core/delivery.js';
import { exportCsv, type Export } from '../../adapters/stores/exportStore.js';
import { messageStore, type MessageIndexEntry } from '../../adapters/stores/messageStore.js';
import { messageReports, tenantActivity } from '../../adapters/stores/reportStore.js';
import { getTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import { now } from '../../adapters/runtime/clock.js';
import { activity, daysBetween, figures, type Counts, type DayFigures, type Figures } from '../../core/reportMath.js';
import type { Cell } from '../../core/spreadsheet.js';
import { existing } from './messageAccess.js';
import { Problem } from './problem.js';
import { route } from './routes.js';
import { MESSAGE_PARAMS } from './schemas/messageSchemas.js';
import {
  ActivityParams,
  type ActivityFigures,
  ActivityReport,
  DEFAULT_REPORT_DAYS,
  ExportLink,
  FigureFields,
} from './schemas/reportSchemas.js';

/** The longest range one report covers. */
export const MAX_REPORT_DAYS = 366;

interface Range {
  timeZone: string;
  from: string;
  to: string;
}

async function rangeOf(caller: Caller, params: ActivityParams): Promise<Range> {
  const { timeZone } = await getTenantSettings(caller.tenantId);
  const today = DateTime.fromMillis(now(), { zone: timeZone });
  const to = params.to ?? today.toISODate()!;
  const from =
    params.from ??
    DateTime.fromISO(to, { zone: 'UTC' })
      .minus({ days: DEFAULT_REPORT_DAYS - 1 })
      .toISODate()!;
  if (from > to) throw new Problem('validation', 'from must not be after to', [{ path: 'from', message: 'must not be after to' }]);
  const span = DateTime.fromISO(to, { zone: 'UTC' }).diff(DateTime.fromISO(from, { zone: 'UTC' }), 'days').days + 1;
  if (span > MAX_REPORT_DAYS) {
    const message = `must be at most ${MAX_REPORT_DAYS} days before to`;
    throw new Problem('validation', `from ${message}`, [{ path: 'from', message }]);
  }
  return { timeZone, from, to };
}

const monthsOf = (from: string, to: string) => [...new Set(daysBetween(from, to).map((d) => d.slice(0, 7)))];
const filtered = (p: ActivityParams) => Boolean(p.status ?? p.location ?? p.objective ?? p.messageId);

/** The messages the filters allow, by id (every message of the tenant when there are no filters, for names). */
async function messagesMatching(caller: Caller, params: ActivityParams): Promise<Map<string, MessageIndexEntry>> {
  if (params.messageId) await existing(caller, params.messageId);
  const out = new Map<string, MessageIndexEntry>();
  for await (const m of messageStore().index(caller.tenantId, params)) if (!params.messageId || m.id === params.messageId) out.set(m.id, m);
  return out;
}

async function activityReport(caller: Caller, params: ActivityParams): Promise<HttpResponseInit> {
  const range = await rangeOf(caller, params);
  const months = monthsOf(range.from, range.to);
  // Unfiltered: the tenant's monthly rollups, a few rows however many messages; filtered: the copies of the
  // messages the filters allow.
  const byMessage: Map<string, Counts>[] = [];
  let messages: number;
  if (filtered(params)) {
    const allowed = await messagesMatching(caller, params);
    for await (const report of messageReports(caller.tenantId, months, new Set(allowed.keys()))) byMessage.push(report.days);
    messages = byMessage.length;
  } else {
    const tenant = await tenantActivity(caller.tenantId, months);
    byMessage.push(tenant.days);
    messages = tenant.messages;
  }
  const { totals, days } = activity(byMessage, daysBetween(range.from, range.to));
  const body: z.output<typeof ActivityReport> = { ...range, messages, totals: view(totals), days: days.map(dayView) };
  return { jsonBody: body, headers: { 'cache-control': 'private, no-store' } };
}

const view = (f: Figures): z.output<typeof ActivityFigures> => ({
  impressions: f.impressions,
  seen: f.seen,
  viewers: f.viewers,
  clicks: f.clicks,
  clickers: f.clickers,
  clickThroughRate: f.clickThroughRate,
  dismissed: f.dismissed,
  dismissers: f.dismissers,
  delivered: f.delivered,
  failed: f.failed,
});
const dayView = (d: DayFigures) => ({ date: d.date, ...view(d) });

const ACTIVITY_COLUMNS = [
  'date',
  'messageId',
  'messageName',
  'status',
  'location',
  'objective',
  ...(Object.keys(FigureFields) as (keyof typeof FigureFields)[]),
];

async function* activityRows(caller: Caller, range: Range, messages: Map<string, MessageIndexEntry>): AsyncIterable<Cell[]> {
  const days = daysBetween(range.from, range.to);
  for await (const report of messageReports(caller.tenantId, monthsOf(range.from, range.to), new Set(messages.keys()))) {
    const m = messages.get(report.messageId)!;
    for (const day of days) {
      const counts = report.days.get(day);
      if (!counts) continue;
      const f = view(figures(counts));
      yield [day, m.id, m.name, m.status, m.location, m.objective, ...Object.values(f)];
    }
  }
}

/**
 * A 303 to the file; to a caller that asks for JSON alone, 200 with the same body: a browser app cannot see a
 * redirect to another origin (the file's), so the console asks for the link and lets the browser download it.
 */
const linkTo = (file: Export, accept: string | null): HttpResponseInit => {
  const body: z.output<typeof ExportLink> = file;
  const link = /^application\/json\s*(;|$)/i.test(accept ?? '');
  return { status: link ? 200 : 303, headers: { location: file.url, 'cache-control': 'private, no-store' }, jsonBody: body };
};

async function activityCsv(caller: Caller, params: ActivityParams, accept: string | null): Promise<HttpResponseInit> {
  const range = await rangeOf(caller, params);
  const messages = await messagesMatching(caller, params);
  const file = `activity-${range.from}-to-${range.to}.csv`;
  return linkTo(await exportCsv(caller.tenantId, file, ACTIVITY_COLUMNS, activityRows(caller, range, messages)), accept);
}

const RECIPIENT_COLUMNS = [
  'userId',
  'userPrincipalName',
  'displayName',
  'channel',
  'deliveryStatus',
  'deliveryReason',
  'sentAt',
  'occurrence',
  'firstSeenAt',
  'lastSeenAt',
  'timesSeen',
  'firstClickedAt',
  'clicks',
  'firstDismissedAt',
  'dismissals',
];

const engagementCells = (e: Engagement | undefined): Cell[] => [
  e?.firstSeenAt,
  e?.lastSeenAt,
  e?.seen ?? 0,
  e?.firstClickedAt,
  e?.clicks ?? 0,
  e?.firstDismissedAt,
  e?.dismissals ?? 0,
];

/**
 * One row per recipient. Push channels: everyone in the delivery snapshots, latest round first (a person
 * resent to appears once, with their latest delivery), then anyone who acted without being in one; the
 * engagement of the (usually few) people who acted is held while the snapshots stream by, one batch at a
 * time. Windows surfaces deliver nothing: the people who acted, streamed in user order.
 */
async function* recipientRows(tenantId: string, messageId: string, channel: ReturnType<typeof channelOf>): AsyncIterable<Cell[]> {
  if (!isPushChannel(channel)) {
    for await (const e of engagements(tenantId, messageId))
      yield [e.userId, '', '', e.channels.join(' '), '', '', '', '', ...engagementCells(e)];
    return;
  }
  const acted = new Map<string, Engagement>();
  for await (const e of engagements(tenantId, messageId)) acted.set(e.userId, e);
  const listed = new Set<string>();
  const occurrences = (await listOccurrences(tenantId, messageId)).sort((a, b) => b.occurrence - a.occurrence);
  for (const o of occurrences) {
    for (let batch = 0; batch < (o.batches ?? o.batchesWritten); batch++) {
      const state = await readBatch({ tenantId, messageId, occurrence: o.occurrence, batch });
      if (!state) continue;
      for (const d of state.rows.values()) {
        if (listed.has(d.userId)) continue;
        listed.add(d.userId);
        yield [...deliveryCells(d, channel, o.occurrence), ...engagementCells(acted.get(d.userId))];
      }
    }
  }
  for (const e of acted.values()) if (!listed.has(e.userId)) yield [e.userId, '', '', channel, '', '', '', '', ...engagementCells(e)];
}

const deliveryCells = (d: Delivery, channel: string, occurrence: number): Cell[] => [
  d.userId,
  d.upn,
  d.name,
  channel,
  d.status,
  d.reason,
  d.sentAt,
  occurrence,
];

const channelOf = (location: string | undefined) => CHANNEL_OF[(location ?? 'spotlight') as keyof typeof CHANNEL_OF] ?? 'inbox';

async function recipientsCsv(caller: Caller, id: string, accept: string | null): Promise<HttpResponseInit> {
  const message = await existing(caller, id);
  const settings = await getTenantSettings(caller.tenantId);
  if (!settings.recipientReports)
    throw new Problem(
      'forbidden',
      'per-recipient reports are switched off for this organisation (tenant setting recipientReports); totals remain in /api/reports/activity',
    );
  const rows = recipientRows(caller.tenantId, message.id, channelOf(message.draft.location));
  return linkTo(await exportCsv(caller.tenantId, `recipients-${message.id}.csv`, RECIPIENT_COLUMNS, rows), accept);
}

const exported = {
  status: 303,
  description: 'See the file at Location. With `Accept: application/json` alone: 200, the same body, no redirect to follow.',
  schema: ExportLink,
  location: 'redirect',
} as const;

route({
  name: 'reportActivity',
  route: 'reports/activity',
  tag: 'reports',
  method: 'GET',
  operationId: 'getActivityReport',
  summary: 'Impressions, clicks and click-through rate, in total and day by day',
  description:
    'Over `from`…`to` (days in the tenant’s time zone, at most 366; default the last 30), for the messages the filters ' +
    'allow: the totals and one entry per day, days without events included as zeros. Impressions ("messages seen") are ' +
    '`seen` on Windows surfaces plus Teams notifications and emails delivered; click-through rate is clicks ÷ impressions.',
  role: 'report.read',
  query: ActivityParams,
  response: { status: 200, description: 'The activity report.', schema: ActivityReport },
  problems: ['validation', 'not-found'],
  handler: async ({ caller, query }) => activityReport(caller, query()),
});

route({
  name: 'reportActivityCsv',
  route: 'reports/activity.csv',
  tag: 'reports',
  method: 'GET',
  operationId: 'exportActivityReport',
  summary: 'The activity report as CSV: one row per message and day with activity',
  description:
    'The same filters as the report. The file (RFC 4180, UTF-8, one header row; text that a spreadsheet would run as a ' +
    'formula starts with an apostrophe) is written to storage as it is produced; the answer redirects to a read-only link ' +
    'that works for 15 minutes and also gives it in the body.',
  role: 'report.read',
  query: ActivityParams,
  response: exported,
  problems: ['validation', 'not-found'],
  handler: async ({ caller, query, request }) => activityCsv(caller, query(), request.headers.get('accept')),
});

route({
  name: 'messageRecipientsCsv',
  route: 'messages/{id}/recipients.csv',
  tag: 'reports',
  params: MESSAGE_PARAMS,
  method: 'GET',
  operationId: 'exportMessageRecipients',
  summary: 'Each recipient of a message: delivery status and what they did, as CSV',
  description:
    'Teams and email: everyone in the delivery snapshots (a person resent to appears once, with the latest round), with ' +
    'status, reason and time, and when they first saw, clicked or dismissed it. Windows surfaces: everyone who saw, ' +
    'clicked or dismissed it. Events older than the tenant’s `retentionDays` are purged. 403 when the tenant setting ' +
    '`recipientReports` is off.',
  role: 'report.read',
  response: exported,
  problems: ['not-found'],
  handler: async ({ caller, params, request }) => recipientsCsv(caller, params.id, request.headers.get('accept')),
});
