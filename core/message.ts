/**
 * The message model and its rules (seed: organizational messages). Pure: zod schemas that validate API
 * input, and the seed's location rules checked when a message is submitted. A draft may be incomplete;
 * `completeMessage` is what submitting requires.
 */
import { z } from 'zod';

export const LOCATIONS = ['spotlight', 'notificationCenter', 'taskbar', 'teams', 'email'] as const;
export type Location = (typeof LOCATIONS)[number];

export const OBJECTIVES = ['announcement', 'onboarding', 'training', 'productivity', 'security', 'wellbeing', 'feedback', 'event'] as const;
export const FREQUENCIES = ['once', 'daily', 'weekly', 'monthly'] as const;
export const SEGMENTS = ['inactiveCopilotUsers', 'inactiveCopilotUsersInTeams'] as const;
/** The products of the Copilot usage report a usage filter can name: Copilot anywhere, or in one app. */
export const USAGE_PRODUCTS = [
  'copilot',
  'teamsCopilot',
  'wordCopilot',
  'excelCopilot',
  'powerPointCopilot',
  'outlookCopilot',
  'oneNoteCopilot',
  'loopCopilot',
  'copilotChat',
] as const;
export type UsageProduct = (typeof USAGE_PRODUCTS)[number];
/** The longest inactivity a usage filter can ask about: the usage report's longest period. */
export const MAX_INACTIVE_DAYS = 180;
export const LICENCE_TIERS = ['basic', 'E3', 'E5'] as const;
export type LicenceTier = (typeof LICENCE_TIERS)[number];

export const LIMITS = { name: 120, title: 80, body: 600, ctaLabel: 30, url: 2048, audienceItems: 50 } as const;

/** Whether `tz` is an IANA time zone this runtime knows. */
export const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an Entra object id (a GUID)');
const list = <T extends z.ZodTypeAny>(item: T) => z.array(item).max(LIMITS.audienceItems, `at most ${LIMITS.audienceItems} entries`);

export const Content = z.object({
  title: z.string().trim().min(1, 'is required').max(LIMITS.title, `at most ${LIMITS.title} characters`),
  body: z.string().trim().min(1, 'is required').max(LIMITS.body, `at most ${LIMITS.body} characters`),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as en or en-GB')
    .default('en'),
  callToAction: z
    .object({
      /** A pre-made message's label is its template's; a custom message needs one (checked at submit). */
      label: z.string().trim().min(1, 'is required').max(LIMITS.ctaLabel, `at most ${LIMITS.ctaLabel} characters`).optional(),
      url: z
        .string()
        .max(LIMITS.url)
        .url('must be a URL')
        .refine((u) => u.startsWith('https://'), 'must be an https URL'),
    })
    .optional(),
  /**
   * Set by the image upload endpoint, never by the client directly. `copiedFrom`: the message a copy took
   * it from ("as long as the Location of the copied message remains the same, images … are copied").
   */
  image: z.object({ blob: z.string(), contentType: z.string(), size: z.number().int(), copiedFrom: z.string().optional() }).optional(),
});

export const Audience = z.object({
  groups: list(guid).default([]),
  companies: list(z.string().min(1)).default([]),
  departments: list(z.string().min(1)).default([]),
  locations: list(z.string().min(1)).default([]),
  segments: list(z.enum(SEGMENTS)).default([]),
  /** Usage targeting: licensed for a product and inactive in it for at least this many days (or never active). */
  usage: list(
    z
      .object({
        product: z.enum(USAGE_PRODUCTS),
        inactiveDays: z.number().int().min(1, 'at least 1 day').max(MAX_INACTIVE_DAYS, `at most ${MAX_INACTIVE_DAYS} days`),
      })
      .strict(),
  ).default([]),
});
export type UsageFilter = z.output<typeof Audience>['usage'][number];

export const Schedule = z.object({
  start: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
  end: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
  frequency: z.enum(FREQUENCIES).default('once'),
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris').optional(),
});

export const Template = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('premade'), id: z.string().min(1) }),
  z.object({ kind: z.literal('custom') }),
]);

/** What a writer may save at any step of the wizard: every part optional. */
export const DraftInput = z
  .object({
    name: z.string().trim().min(1, 'is required').max(LIMITS.name, `at most ${LIMITS.name} characters`),
    objective: z.enum(OBJECTIVES),
    location: z.enum(LOCATIONS),
    urgent: z.boolean().default(false),
    template: Template,
    content: Content.partial(),
    audience: Audience.partial(),
    schedule: Schedule.partial(),
  })
  .partial()
  .strict();
export type DraftInput = z.infer<typeof DraftInput>;

export interface Problem {
  path: string;
  message: string;
}

export interface SubmitContext {
  licence: LicenceTier;
  /** Submission time, for "the end must be in the future". */
  now: number;
  /** The pre-made template (message or email) `id` for `location`, if Herald has one (`core/templates.ts` findTemplate). */
  template(id: string, location: Location | undefined): { objective: string } | undefined;
}

/**
 * Everything a message needs before it can be submitted (or sent, when urgent), with the seed's rules.
 * Returns the problems, each naming the field and the rule; none means the message may go.
 */
export function submitProblems(m: DraftInput, ctx: SubmitContext): Problem[] {
  const problems: Problem[] = [];
  const need = (path: string, value: unknown) => {
    if (value === undefined || value === null || value === '') problems.push({ path, message: 'is required before submitting' });
  };
  need('name', m.name);
  need('objective', m.objective);
  need('location', m.location);
  need('template', m.template);
  const premade = m.template?.kind === 'premade';
  // A pre-made message's words are its template's (applyTemplate puts them in): only custom ones are typed.
  if (!premade) {
    need('content.title', m.content?.title);
    need('content.body', m.content?.body);
    if (m.content?.callToAction) need('content.callToAction.label', m.content.callToAction.label);
  }
  const audience = { groups: [], companies: [], departments: [], locations: [], segments: [], usage: [], ...m.audience };
  const aggregates = audience.companies.length + audience.departments.length + audience.locations.length + audience.usage.length;
  const advanced = aggregates + audience.segments.length;
  if (audience.groups.length === 0 && advanced === 0)
    problems.push({ path: 'audience', message: 'needs at least one group or audience filter' });
  if (premade) {
    // "Pre-made messages aren't available for all selections in the Objective step": a template fits its own.
    const found = ctx.template((m.template as { id: string }).id, m.location);
    if (!found) problems.push({ path: 'template.id', message: `is not a pre-made template for ${m.location ?? 'this location'}` });
    else if (m.objective && found.objective !== m.objective)
      problems.push({ path: 'template.id', message: `is a template for the ${found.objective} objective, not ${m.objective}` });
  }

  if (ctx.licence === 'basic') {
    if (m.template?.kind === 'custom')
      problems.push({ path: 'template', message: 'custom messages need an E3 or E5 licence; use a pre-made message' });
    if (advanced > 0)
      problems.push({
        path: 'audience',
        message: 'companies, departments, locations, usage and segments need an E3 or E5 licence; target groups',
      });
  }
  // Group-level aggregates (companies, departments, locations, usage) are Windows-only; action segments reach Teams too.
  if (m.location === 'teams' && aggregates > 0)
    problems.push({ path: 'audience', message: 'Teams messages target groups and usage segments only' });
  if (m.location === 'email') {
    if (!premade) problems.push({ path: 'template', message: 'email takes the pre-made email templates only' });
    if (audience.segments.length > 0) problems.push({ path: 'audience.segments', message: 'usage segments cannot be used with email' });
    if (audience.usage.length > 0) problems.push({ path: 'audience.usage', message: 'usage targeting cannot be used with email' });
  }
  if (m.urgent) {
    if (m.location !== 'taskbar' && m.location !== 'notificationCenter')
      problems.push({ path: 'location', message: 'urgent messages go to the Taskbar or Notification Center only' });
    if (advanced > 0) problems.push({ path: 'audience', message: 'urgent messages target groups only' });
    if (m.schedule && Object.keys(m.schedule).length > 0)
      problems.push({ path: 'schedule', message: 'urgent messages have no schedule: they are sent at once, once' });
  } else {
    need('schedule.start', m.schedule?.start);
    need('schedule.end', m.schedule?.end);
    if (m.schedule?.start && m.schedule?.end) {
      const start = Date.parse(m.schedule.start);
      const end = Date.parse(m.schedule.end);
      if (end <= start) problems.push({ path: 'schedule.end', message: 'must be after the start' });
      if (end <= ctx.now) problems.push({ path: 'schedule.end', message: 'must be in the future' });
    }
  }
  return problems;
}
