/**
 * A local stand-in for mobile push: Firebase Cloud Messaging (HTTP v1, with Google's OAuth token endpoint)
 * and Apple Push Notification service (HTTP/2, token auth). Both speak their real HTTP APIs on one TLS port
 * of their own, with a certificate for the real host names issued by a CA devhost makes, so firebase-admin
 * and @parse/node-apn run unchanged once pointed at 127.0.0.1 and told to trust that CA. Its control API
 * for tests is on the host's HTTP port. See devhost/README.md, "Stand-in push (FCM and APNs)".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StandIn, StandInContext } from './standin.js';
import { apnsSend, APNS_PATH, type ApnsState } from './push/apns.js';
import { CONTROL_PATH, handleControl, type PlatformCounts } from './push/control.js';
import { fcmSend, FCM_SEND_PATH, type FcmState } from './push/fcm.js';
import { decodeSegment, problem, readBody, requestedHost, write, type Answer, type PushRequest, type PushResponse } from './push/http.js';
import { ensurePushMaterial, pushConnection, SERVICE_HOSTS, type PushConnection } from './push/material.js';
import { AccessTokens, tokenEndpoint } from './push/oauth.js';
import { PushStore, type Platform } from './push/store.js';
import { Throttling } from './push/throttle.js';
import { TlsListener } from './push/tls.js';

export type { PushConnection, PushMaterial } from './push/material.js';
export { ensurePushMaterial, pushConnection } from './push/material.js';

export interface PushStandIn extends StandIn {
  readonly name: 'push';
  /** Opens the TLS port (0 picks a free one) and returns it. */
  listen(port: number): Promise<number>;
  /** What a client needs to connect; undefined until the port listens. */
  connection(): PushConnection | undefined;
}

export const isPushStandIn = (standIn: StandIn): standIn is PushStandIn => standIn.name === 'push' && 'listen' in standIn;

/**
 * The TLS port: `DEVHOST_PUSH_PORT`, else a free one. devhost passes the port it got to the app
 * (`DEVHOST_PUSH_CONNECT_TO`), so no fixed port is needed and hosts side by side never fight over one.
 */
export function pushPortSetting(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new Error(`DEVHOST_PUSH_PORT must be a port number (0 picks a free one), not '${value}'`);
  return port;
}

const OAUTH_HOST = 'oauth2.googleapis.com';
const FCM_HOST = 'fcm.googleapis.com';
const APNS_HOSTS = ['api.push.apple.com', 'api.sandbox.push.apple.com'];
/** Larger than any token request firebase-admin sends (a form with one JWT). */
const MAX_TOKEN_REQUEST_BYTES = 16 * 1024;

/** Requests carry the real service's host name (or 127.0.0.1/localhost): one naming another service's host is not for this path. */
const hostServes = (host: string, serving: string[]) => !SERVICE_HOSTS.includes(host) || serving.includes(host);

export async function createPushStandIn(ctx: StandInContext): Promise<PushStandIn> {
  // Key material outlives the process with a state dir (settings name its files); without one it lives as long as devhost.
  const ownTemporaryDir = !process.env.DEVHOST_PUSH_DIR && !ctx.stateDir ? mkdtempSync(join(tmpdir(), 'devhost-push-')) : undefined;
  const materialDir = process.env.DEVHOST_PUSH_DIR || (ctx.stateDir ? join(ctx.stateDir, 'push') : ownTemporaryDir!);
  const material = await ensurePushMaterial(materialDir);
  const store = PushStore.open(ctx.stateDir ? join(ctx.stateDir, 'push') : undefined, ctx.log);
  const throttling = new Throttling();
  const counts: Record<Platform, PlatformCounts> = { fcm: { rejected: 0, unregistered: 0 }, apns: { rejected: 0, unregistered: 0 } };
  const now = () => ctx.clock.now();
  const tokens = new AccessTokens(material.fcm.serviceAccount);
  const fcm: FcmState = { tokens, store, throttling, counts: counts.fcm, now };
  const apns: ApnsState = { key: material.apns, store, throttling, counts: counts.apns, now };
  let listener: TlsListener | undefined;

  async function route(req: PushRequest, path: string): Promise<Answer> {
    const host = requestedHost(req.headers);
    if (path === '/token' && hostServes(host, [OAUTH_HOST])) {
      if (req.method !== 'POST')
        return { status: 405, headers: { allow: 'POST' }, body: { error: 'invalid_request', error_description: 'Method Not Allowed' } };
      const answer = await tokenEndpoint(
        await readBody(req, MAX_TOKEN_REQUEST_BYTES),
        material.fcm.serviceAccount,
        material.fcm.publicKey,
        tokens,
      );
      if (answer.status !== 200) ctx.log(`Push stand-in: refused a Google token request: ${JSON.stringify(answer.body)}`);
      return answer;
    }
    const send = FCM_SEND_PATH.exec(path);
    if (send && hostServes(host, [FCM_HOST])) {
      const answer = await fcmSend(req, send[1]!, fcm);
      if (answer.status === 401 || answer.status === 403) ctx.log(`Push stand-in: refused an FCM send: ${JSON.stringify(answer.body)}`);
      return answer;
    }
    if (path.startsWith(APNS_PATH) && hostServes(host, APNS_HOSTS)) {
      // APNs speaks HTTP/2 only; a client that cannot would fail against Apple too.
      if (req.httpVersionMajor !== 2) return { status: 505, body: { reason: 'APNs requires HTTP/2' } };
      const answer = await apnsSend(req, decodeSegment(path.slice(APNS_PATH.length)), apns);
      if (answer.status === 403) ctx.log(`Push stand-in: refused an APNs send: ${JSON.stringify(answer.body)}`);
      return answer;
    }
    return problem(
      404,
      'Not Found',
      `the push stand-in serves POST /token, POST /v1/projects/{project}/messages:send and POST /3/device/{token}, not ${req.method} ${path} for ${host}`,
    );
  }

  async function serve(req: PushRequest, res: PushResponse): Promise<void> {
    try {
      write(res, await route(req, new URL(req.url ?? '/', 'https://push.invalid').pathname));
    } catch (error) {
      ctx.log(`Push stand-in: ${req.method} ${req.url} failed: ${(error as Error).stack ?? error}`);
      if (!res.headersSent) write(res, { status: 500 });
      else res.end();
    }
  }

  const connection = () => (listener ? pushConnection(material, listener.port) : undefined);

  return {
    name: 'push',
    async listen(port) {
      listener = await TlsListener.listen(port, material.tls, serve);
      ctx.log(
        `Push stand-in (FCM, APNs): https://127.0.0.1:${listener.port}; CA ${material.caFile}; ` +
          `service account ${material.fcm.serviceAccountFile}; APNs key ${material.apns.keyFile} (key id ${material.apns.keyId}, team id ${material.apns.teamId})`,
      );
      return listener.port;
    },
    connection,
    async handle(req, res, url) {
      if (!url.pathname.startsWith(`${CONTROL_PATH}/`)) return false;
      await handleControl(req, res, url, { store, throttling, counts, connection, now });
      return true;
    },
    async close() {
      await listener?.close();
      store.close();
      if (ownTemporaryDir) rmSync(ownTemporaryDir, { recursive: true, force: true });
    },
  };
}
