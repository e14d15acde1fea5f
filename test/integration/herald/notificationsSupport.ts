// Shared by the custom notification suites: an organisation per test (a fresh tenant, so history and limits
// start empty), devices registered through the API, sends, polling for delivery, and what devhost's FCM and
// APNs stand-ins received.
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { objectId } from '@herald/devhost/testing';
import type { TestHost } from '@herald/devhost/testing';
import { as, loadDirectory, type Client } from './support.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const SENDER_ROLES = ['Notifications.Send.Groups', 'Notifications.Send.Device'];

/** A group's object id in `tenant`: stable per name, different per tenant. */
export const gid = (tenant: string, name: string) => objectId(tenant, `group:${name}`);
export const upn = (name: string) => `${name}@contoso.test`;

/** Push tokens shaped as each provider's are: FCM's from its alphabet, APNs' 64 hex digits. */
export const fcmToken = () => `fcm:${randomBytes(24).toString('base64url')}`;
export const apnsToken = () => randomBytes(32).toString('hex');

export interface OrgUser {
  name: string;
  accountEnabled?: boolean;
}

export interface Org {
  tenant: string;
  /** Holds both send roles. */
  sender: Client;
  /** Signed-in users without any role, by name. */
  user: Record<string, Client>;
  group: (name: string) => string;
}

/**
 * A fresh tenant with `users` (each signed in, no role), `groups` (members named by user name, group name or
 * `device:<name>` for one of the Entra device objects `devices`) and a sender holding both send roles.
 */
export async function org(
  host: TestHost,
  users: (string | OrgUser)[],
  groups: Record<string, string[]> = {},
  devices: string[] = [],
): Promise<Org> {
  const tenant = randomUUID();
  const people = users.map((u) => (typeof u === 'string' ? { name: u } : u));
  // A group named by a GUID keeps it as its id (to give two tenants groups with the same id).
  const group = (name: string) => (GUID.test(name) ? name : gid(tenant, name));
  const entraDevice = (name: string) => objectId(tenant, `device:${name}`);
  const directory = {
    users: people.map((p) => ({ userPrincipalName: upn(p.name), ...(p.accountEnabled === false ? { accountEnabled: false } : {}) })),
    groups: Object.entries(groups).map(([name, members]) => ({
      id: group(name),
      displayName: name,
      members: members.map((m) => (m.startsWith('device:') ? entraDevice(m.slice(7)) : m in groups ? group(m) : upn(m))),
    })),
    devices: devices.map((name) => ({ id: entraDevice(name), displayName: name, operatingSystem: 'iOS' })),
  };
  await loadDirectory(host, tenant, directory);
  const clients = await Promise.all(people.map((p) => as(host, tenant, upn(p.name), [], '800d')));
  return {
    tenant,
    sender: await as(host, tenant, upn('sam'), SENDER_ROLES, '800d'),
    user: Object.fromEntries(people.map((p, i) => [p.name, clients[i]!])),
    group,
  };
}

export interface DeviceView {
  id: string;
  userId: string;
  platform: string;
  app: 'companyPortal' | 'intune';
  appVersion: string;
  enrolled: boolean;
  receivesNotifications: boolean;
  registeredAt: string;
  updatedAt: string;
  staleSince?: string;
  staleReason?: string;
}

export interface NotificationView {
  id: string;
  title: string;
  body: string;
  groups?: string[];
  deviceId?: string;
  sentBy: { id: string; upn: string; name: string };
  sentAt: string;
  resendOf?: string;
  status: 'resolving' | 'sending' | 'done' | 'failed';
  reason?: string;
  devices: number;
  sent: number;
  failed: number;
  pending: number;
  opened: number;
}

export interface DeviceStatus {
  deviceId: string;
  userId: string;
  upn: string;
  platform: string;
  status: string;
  reason?: string;
  sentAt?: string;
}

export interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

/** The app registering the device it runs on for its signed-in user. */
export async function register(
  client: Client,
  platform: string,
  pushToken: string,
  more: { enrolled?: boolean; app?: 'companyPortal' | 'intune'; appVersion?: string } = {},
): Promise<DeviceView> {
  const res = await client('/api/devices', {
    body: {
      platform,
      pushToken,
      ...(more.app ? { app: more.app } : {}),
      appVersion: more.appVersion ?? '5.1',
      enrolled: more.enrolled ?? true,
    },
  });
  expect([200, 201], await res.clone().text()).toContain(res.status);
  return (await res.json()) as DeviceView;
}

/** A send the API accepted (202). */
export async function send(client: Client, body: Record<string, unknown>): Promise<NotificationView> {
  const res = await client('/api/notifications', { body });
  expect(res.status, await res.clone().text()).toBe(202);
  return (await res.json()) as NotificationView;
}

export const groupSend = (client: Client, groups: string[], title = 'Restart today', body = 'Your device needs a restart.') =>
  send(client, { title, body, groups });

export const deviceSend = (client: Client, deviceId: string, title = 'Your laptop is ready', body = 'Collect it at the desk.') =>
  send(client, { title, body, deviceId });

/** Reads until `ok` holds or the time is up (then returns the last value, for the assertion to show). */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function notification(client: Client, id: string): Promise<NotificationView> {
  const res = await client(`/api/notifications/${id}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as NotificationView;
}

/** The notification once every device it targeted has an outcome (or it failed as a whole). */
export async function settled(client: Client, id: string, timeoutMs?: number): Promise<NotificationView> {
  const n = await until(
    () => notification(client, id),
    (v) => v.status === 'done' || v.status === 'failed',
    timeoutMs,
  );
  expect(n.status, JSON.stringify(n)).toBe('done');
  return n;
}

export async function deviceStatuses(client: Client, id: string, query = ''): Promise<DeviceStatus[]> {
  const res = await client(`/api/notifications/${id}/devices${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { items: DeviceStatus[] }).items;
}

export async function history(client: Client, query = ''): Promise<{ items: NotificationView[]; continuation?: string }> {
  const res = await client(`/api/notifications${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { items: NotificationView[]; continuation?: string };
}

export async function deviceHistory(client: Client, deviceId: string) {
  const res = await client(`/api/devices/${deviceId}/notifications`);
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { items: { id: string; title: string; body: string; sentAt: string; opened: boolean }[] }).items;
}

export async function device(client: Client, id: string): Promise<DeviceView> {
  const res = await client(`/api/devices/${id}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as DeviceView;
}

/** A problem+json answer with `status`, naming `path` among its field errors when given. */
export async function expectProblem(res: Response, status: number, path?: string): Promise<Problem> {
  const text = await res.clone().text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(text) as Problem;
  expect(problem.status).toBe(status);
  if (path !== undefined)
    expect(
      problem.errors?.map((e) => e.path),
      text,
    ).toContain(path);
  return problem;
}

export interface Received {
  platform: 'fcm' | 'apns';
  token: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  collapseId?: string;
}

/** What the FCM or APNs stand-in accepted for `token`, in arrival order. */
export async function received(host: TestHost, platform: 'fcm' | 'apns', token: string): Promise<Received[]> {
  const res = await host.fetch(`/devhost/push/_control/received?platform=${platform}&token=${encodeURIComponent(token)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { notifications: Received[] }).notifications;
}

export async function pushControl(host: TestHost, path: string, method = 'GET', body?: unknown): Promise<unknown> {
  const res = await host.fetch(`/devhost/push/_control/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`).toBe(true);
  return res.status === 204 ? undefined : res.json();
}

export const markDead = (host: TestHost, platform: 'fcm' | 'apns', token: string) => pushControl(host, 'dead', 'POST', { platform, token });
