/**
 * An Azure SDK `HttpClient` for small JSON requests over node's http/https with keep-alive: what an email
 * fan-out sends, two requests a recipient. The SDK's default client and request layers cost ~0.45 ms of CPU
 * a request here, about what the request itself does (bench/README.md, fanout); this one carries text
 * bodies only (no streams, forms or proxies), which is all ACS Email's REST API takes and returns. The
 * policies it runs under (ACS's HMAC or bearer auth) are the SDK's own.
 */
import http from 'node:http';
import https from 'node:https';
import { createHttpHeaders, RestError, type HttpClient, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';

/** Sockets per origin: above the 16 sends a worker has in flight, with room for a second batch. */
const MAX_SOCKETS = 64;

export function keepAliveHttpClient(): HttpClient {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
  };
  return {
    sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const url = new URL(request.url);
      const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
      const send = url.protocol === 'https:' ? https.request : http.request;
      if (request.body !== undefined && request.body !== null && typeof request.body !== 'string')
        throw new Error('keepAliveHttpClient sends text bodies only');
      return new Promise((resolve, reject) => {
        const fail = (error: Error) =>
          reject(error instanceof RestError ? error : new RestError(error.message, { code: RestError.REQUEST_SEND_ERROR, request }));
        const req = send(
          url,
          { method: request.method, agent, headers: request.headers.toJSON(), signal: request.abortSignal as AbortSignal | undefined },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('error', fail);
            res.on('end', () => {
              const headers = createHttpHeaders();
              for (const [name, value] of Object.entries(res.headers))
                if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
              resolve({ request, status: res.statusCode ?? 0, headers, bodyAsText: Buffer.concat(chunks).toString('utf8') });
            });
          },
        );
        if (request.timeout > 0) req.setTimeout(request.timeout, () => req.destroy(new Error(`no answer within ${request.timeout} ms`)));
        req.on('error', fail);
        req.end(request.body ?? undefined);
      });
    },
  };
}
