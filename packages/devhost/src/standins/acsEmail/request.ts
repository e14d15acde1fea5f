/** The body of `POST /emails:send`, validated the way ACS Email validates it. */
import { z } from 'zod';

/** ACS's limit on recipients (to + cc + bcc) in one request. */
export const MAX_RECIPIENTS = 50;

const EmailAddress = z.object({
  address: z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be an email address like name@domain.example'),
  displayName: z.string().optional(),
});

const Attachment = z.object({
  name: z.string().min(1),
  contentType: z.string().min(1),
  contentInBase64: z.string().min(1),
  contentId: z.string().optional(),
});

const SendRequest = z
  .object({
    headers: z.record(z.string(), z.string()).optional(),
    senderAddress: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'must be an email address of a verified domain'),
    content: z.object({
      subject: z.string().min(1, 'must not be empty'),
      plainText: z.string().optional(),
      html: z.string().optional(),
    }),
    recipients: z.object({
      to: z.array(EmailAddress).optional(),
      cc: z.array(EmailAddress).optional(),
      bcc: z.array(EmailAddress).optional(),
    }),
    attachments: z.array(Attachment).optional(),
    replyTo: z.array(EmailAddress).optional(),
    userEngagementTrackingDisabled: z.boolean().optional(),
  })
  .superRefine((value, ctx) => {
    const { to = [], cc = [], bcc = [] } = value.recipients;
    const count = to.length + cc.length + bcc.length;
    if (count === 0) ctx.addIssue({ code: 'custom', path: ['recipients'], message: 'must name at least one recipient in to, cc or bcc' });
    if (count > MAX_RECIPIENTS)
      ctx.addIssue({ code: 'custom', path: ['recipients'], message: `must name at most ${MAX_RECIPIENTS} recipients` });
    if (!value.content.html && !value.content.plainText)
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'must have html or plainText' });
  });

export type SendRequest = z.output<typeof SendRequest>;

export type Parsed = { ok: true; request: SendRequest } | { ok: false; target: string; message: string };

/** The request, or the first rule it breaks (field path and rule), as ACS names one error at a time. */
export function parseSendRequest(body: Buffer): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, target: 'body', message: 'The request body is not valid JSON.' };
  }
  const result = SendRequest.safeParse(json, { reportInput: true });
  if (result.success) return { ok: true, request: result.data };
  const issue = result.error.issues[0]!;
  const target = issue.path.join('.') || 'body';
  const rule = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  return { ok: false, target, message: `${target} ${rule}.` };
}
