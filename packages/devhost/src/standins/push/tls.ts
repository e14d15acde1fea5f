/**
 * The push stand-in's own TLS port on 127.0.0.1. One `http2.createSecureServer` with `allowHTTP1`: APNs
 * clients negotiate HTTP/2 (h2 by ALPN), while firebase-admin's legacy transport and Google's token client
 * speak HTTP/1.1 over TLS without ALPN, which the same server then answers as HTTP/1.1.
 */
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { PushRequest, PushResponse } from './http.js';

export class TlsListener {
  readonly #server: Http2SecureServer;
  readonly #sockets = new Set<TLSSocket>();
  port = 0;

  private constructor(server: Http2SecureServer) {
    this.#server = server;
    // HTTP/2 clients (node-apn) keep their session open for good: closing must end them, not wait for them.
    server.on('secureConnection', (socket: TLSSocket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Listens on 127.0.0.1:`port` (0 picks a free one); rejects with the listen error (EADDRINUSE…). */
  static async listen(
    port: number,
    tls: { key: string; cert: string },
    handler: (req: PushRequest, res: PushResponse) => Promise<void>,
  ): Promise<TlsListener> {
    const server = createSecureServer({ ...tls, allowHTTP1: true }, (req, res) => void handler(req, res));
    const listener = new TlsListener(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    listener.port = typeof address === 'object' && address ? address.port : port;
    return listener;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}
