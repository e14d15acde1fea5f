/**
 * Graph's error shape: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
 * Handlers throw a GraphFault; the stand-in turns it into that body with the status (and headers) it carries.
 */
import { randomUUID } from 'node:crypto';

export interface GraphResponse {
  status: number;
  headers: Record<string, string>;
  /** Undefined for an empty body (Graph's 202 and 204 carry no body and no content type). */
  body?: unknown;
}

export class GraphFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorResponse(fault: GraphFault, clientRequestId?: string): GraphResponse {
  const requestId = randomUUID();
  return {
    status: fault.status,
    headers: { ...fault.headers, 'request-id': requestId, ...(clientRequestId ? { 'client-request-id': clientRequestId } : {}) },
    body: {
      error: {
        code: fault.code,
        message: fault.message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
          'request-id': requestId,
          'client-request-id': clientRequestId ?? requestId,
        },
      },
    },
  };
}
