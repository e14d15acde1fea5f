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
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Caller } from '../../adapters/runtime/auth.js';
import { engagements, type Engagement } from '../../adapters/stores/counterStore.js';
import { listOccurrences, readBatch } from '../../adapters/stores/deliveryStore.js';
import { exportCsv, type Export } from '../../adapters/stores/exportStore.js';
import { MESSAGE_ID } from '../../adapters/stores/keys.js';
import { messageStore, type MessageIndexEntry } from '../../adapters/stores/messageStore.js';
import { tenantReports } from '../../adapters/stores/reportStore.js';
import { getTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import { now } from '../../adapters/runtime/clock.js';
import { CHANNEL_OF, isPushChannel, type Delivery } from '../../core/delivery.js';
import { MESSAGE_STATUSES } from '../../core/lifecycle.js';
import { LOCATIONS, OBJECTIVES } from '../../core/message.js';
import { activity, daysBetween, figures, type Counts, type DayFigures, type Figures } from '../../core/reportMath.js';
import type { Cell } from '../../core/spreadsheet.js';
import { existing } from './messages.js';
import { handle, Problem, validationProblem } from './problem.js';
import { authorize } from './request.js';

/** The longest range one report covers. */
export const MAX_REPORT_DAYS = 366;
const DEFAULT_REPORT_DAYS = 30;

const isoDate = z.iso.date({ error: 'must be a date (yyyy-mm-dd)' });

export const ActivityParams = z
  .object({
    from: isoDate.optional().describe(`First day (tenant's time zone); default ${DEFAULT_REPORT_DAYS - 1} days before \`to\`.`),
    to: isoDate.optional().describe('Last day, included (tenant’s time zone); default today.'),
    status: z.enum(MESSAGE_STATUSES).optional(),
    location: z.enum(LOCATIONS).optional(),
    objective: z.enum(OBJECTIVES).optional(),
    messageId: z.string().regex(MESSAGE_ID, 'must be a message id').optional(),
  })
  .strict();
type ActivityParams = z.output<typeof ActivityParams>;

const FigureFields = {
  impressions: z.number().int().describe('Messages seen: `seen` on Windows surfaces plus Teams notifications and emails delivered.'),
  seen: z.number().int(),
  viewers: z.number().int().describe('Distinct people who saw it (per day in `days`; summed over days in a report’s totals).'),
  clicks: z.number().int(),
  clickers: z.number().int(),
  clickThroughRate: z.number().describe('clicks ÷ impressions; 0 when there were no impressions.'),
  dismissed: z.number().int(),
  dismissers: z.number().int(),
  delivered: z.number().int(),
  failed: z.number().int(),
};
export const ActivityFigures = z.object(FigureFields);

export const ActivityReport = z.object({
  timeZone: z.string(),
  from: z.string(),
  to: z.string(),
  /** Messages matching the filters that have any counts. */
  messages: z.number().int(),
  totals: ActivityFigures,
  days: z.array(z.object({ date: z.string(), ...FigureFields })),
});

export const ExportLink = z.object({
  url: z.url().describe('The CSV file (RFC 4180, UTF-8): a read-only link that works for 15 minutes.'),
  rows: z.number().int(),
  expiresAt: z.iso.datetime(),
});

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

function parse(request: HttpRequest): ActivityParams {
  const params = ActivityParams.safeParse(Object.fromEntries(request.query));
  if (!params.success) throw validationProblem(params.error.issues);
  return params.data;
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

async function activityReport(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'report.read');
  const params = parse(request);
  const range = await rangeOf(caller, params);
  const allowed = filtered(params) ? await messagesMatching(caller, params) : undefined;
  const byMessage: Map<string, Counts>[] = [];
  for await (const report of tenantReports(caller.tenantId, monthsOf(range.from, range.to)))
    if (!allowed || allowed.has(report.messageId)) byMessage.push(report.days);
  const { totals, days } = activity(byMessage, daysBetween(range.from, range.to));
  const body: z.output<typeof ActivityReport> = { ...range, messages: byMessage.length, totals: view(totals), days: days.map(dayView) };
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
  for await (const report of tenantReports(caller.tenantId, monthsOf(range.from, range.to))) {
    const m = messages.get(report.messageId);
    if (!m) continue;
    for (const day of days) {
      const counts = report.days.get(day);
      if (!counts) continue;
      const f = view(figures(counts));
      yield [day, m.id, m.name, m.status, m.location, m.objective, ...Object.values(f)];
    }
  }
}

const linkTo = (file: Export): HttpResponseInit => {
  const body: z.output<typeof ExportLink> = file;
  return { status: 303, headers: { location: file.url, 'cache-control': 'private, no-store' }, jsonBody: body };
};

async function activityCsv(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'report.read');
  const params = parse(request);
  const range = await rangeOf(caller, params);
  const messages = await messagesMatching(caller, params);
  const file = `activity-${range.from}-to-${range.to}.csv`;
  return linkTo(await exportCsv(caller.tenantId, file, ACTIVITY_COLUMNS, activityRows(caller, range, messages)));
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

async function recipientsCsv(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'report.read');
  const message = await existing(caller, request.params.id!);
  const settings = await getTenantSettings(caller.tenantId);
  if (!settings.recipientReports)
    throw new Problem(
      'forbidden',
      'per-recipient reports are switched off for this organisation (tenant setting recipientReports); totals remain in /api/reports/activity',
    );
  const rows = recipientRows(caller.tenantId, message.id, channelOf(message.draft.location));
  return linkTo(await exportCsv(caller.tenantId, `recipients-${message.id}.csv`, RECIPIENT_COLUMNS, rows));
}

app.http('reportActivity', { methods: ['GET'], route: 'reports/activity', authLevel: 'anonymous', handler: handle(activityReport) });
app.http('reportActivityCsv', { methods: ['GET'], route: 'reports/activity.csv', authLevel: 'anonymous', handler: handle(activityCsv) });
app.http('messageRecipientsCsv', {
  methods: ['GET'],
  route: 'messages/{id}/recipients.csv',
  authLevel: 'anonymous',
  handler: handle(recipientsCsv),
});
