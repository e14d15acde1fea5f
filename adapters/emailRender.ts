// Placeholder: email rendering is being written (issue #5).
export interface RenderedEmail {
  subject: string;
  html: string;
  plainText: string;
  language: string;
}

export interface EmailRenderInput {
  templateId: string;
  /** Recipient's preferred language (BCP 47); falls back to the template's base language, then English. */
  language?: string | null;
  recipientName?: string | null;
  /** The signed click-tracking URL for the call to action. */
  clickUrl: string;
}

export function renderEmail(_input: EmailRenderInput): RenderedEmail {
  throw new Error('email rendering is not built yet');
}
