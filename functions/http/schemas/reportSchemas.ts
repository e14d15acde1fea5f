/** What the activity reports and CSV exports read and answer (`/api/reports…`, `/api/messages/{id}/recipients.csv`). */
import { z } from 'zod';
import { MESSAGE_ID } from '../../../adapters/stores/keys.js';
import { MESSAGE_STATUSES } from '../../../core/lifecycle.js';
import { LOCATIONS, OBJECTIVES } from '../../../core/message.js';
import { responseComponents } from './components.js';

/** The days a report covers when `from` is not given. */
export const DEFAULT_REPORT_DAYS = 30;

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
export type ActivityParams = z.output<typeof ActivityParams>;

export const FigureFields = {
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

export const ActivityReport = z
  .object({
    timeZone: z.string(),
    from: z.string(),
    to: z.string(),
    /** Messages matching the filters that have any counts. */
    messages: z.number().int(),
    totals: ActivityFigures,
    days: z.array(z.object({ date: z.string(), ...FigureFields })),
  })
  .register(responseComponents, { id: 'ActivityReport' });

export const ExportLink = z
  .object({
    url: z.url().describe('The CSV file (RFC 4180, UTF-8): a read-only link that works for 15 minutes.'),
    rows: z.number().int(),
    expiresAt: z.iso.datetime(),
  })
  .register(responseComponents, { id: 'ExportLink' });
