/** Schemas of Herald's pre-made content (`templates/`), so a bad template fails a test, not a send. Pure. */
import { z } from 'zod';
import { LIMITS, LOCATIONS, OBJECTIVES } from './message.js';

export const PremadeMessage = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    objective: z.enum(OBJECTIVES),
    locations: z.array(z.enum(LOCATIONS).exclude(['email'])).min(1),
    title: z.string().min(1).max(LIMITS.title),
    body: z.string().min(1).max(LIMITS.body),
    callToAction: z.string().min(1).max(LIMITS.ctaLabel),
  })
  .strict();

export const EmailTemplate = z
  .object({
    id: z.string().regex(/^email-[a-z0-9-]+$/),
    objective: z.enum(OBJECTIVES),
    subject: z.string().min(1).max(120),
    heading: z.string().min(1).max(120),
    paragraphs: z.array(z.string().min(1)).min(1),
    callToAction: z.string().min(1).max(LIMITS.ctaLabel),
  })
  .strict();

export const PremadeMessages = z.object({ $comment: z.string().optional(), messages: z.array(PremadeMessage) }).strict();
export const EmailTemplates = z.object({ $comment: z.string().optional(), templates: z.array(EmailTemplate).length(8) }).strict();
