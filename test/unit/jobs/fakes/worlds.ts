/** The jobs of a family on a fresh set of fakes, with every fake at hand for the test to set up and inspect. */
import type { DirectoryUser } from '../../../../core/audience.js';
import type { RenderedEmail } from '../../../../adapters/rendering/emailRenderer.js';
import type { TenantSettings } from '../../../../adapters/stores/tenantSettingsStore.js';
import { createDeliveryJobs } from '../../../../jobs/delivery/deliveryJobs.js';
import { createPushJobs } from '../../../../jobs/push/pushJobs.js';
import { FakeClock } from './clock.js';
import { FakeDeliveryStore, FakeHeld } from './deliveryStore.js';
import { FakeDirectory } from './directory.js';
import { FakeDevices, FakeNotifications, FakeSendLimits } from './push.js';
import { FakeQueue } from './queue.js';
import { FakeCounters, FakeMessages, settingsOf } from './records.js';
import { FakeEmail, FakeLimiter, FakePush, FakeTeams } from './senders.js';

export const LEASE_MS = 120_000;

/** Collects what a job logs. */
export function logger() {
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);
  return Object.assign(log, { lines });
}

interface DeliveryOptions {
  directory?: FakeDirectory;
  teams?: FakeTeams;
  email?: FakeEmail;
  settings?: Record<string, Partial<TenantSettings>>;
}

export function deliveryWorld(options: DeliveryOptions = {}) {
  const clock = new FakeClock();
  const world = {
    clock,
    deliveries: new FakeDeliveryStore(),
    queue: new FakeQueue(),
    messages: new FakeMessages(),
    counters: new FakeCounters(),
    directory: options.directory ?? new FakeDirectory([]),
    teams: options.teams ?? new FakeTeams(),
    email: options.email ?? new FakeEmail(),
    limiter: new FakeLimiter(clock),
    /** Who clicked the message, and when they last did (epoch ms, the app clock). */
    clicked: new Map<string, number>(),
    /** Messages a cancel was accepted for (by id), and when. */
    stops: new Map<string, number>(),
    held: new FakeHeld(),
  };
  const jobs = createDeliveryJobs({
    deliveries: world.deliveries,
    messages: world.messages,
    directory: world.directory,
    clickedRecipients: async (_tenantId, _messageId, since) =>
      new Set([...world.clicked].filter(([, lastClickedAt]) => lastClickedAt > since).map(([userId]) => userId)),
    tenantSettings: settingsOf(options.settings),
    enqueue: world.queue.enqueue,
    counters: world.counters,
    clock,
    leaseMs: () => LEASE_MS,
    held: world.held,
    stops: { stopRequested: async (_tenantId, messageId) => world.stops.get(messageId) },
    limiter: world.limiter,
    clickUrl: async (link) => `https://herald.test/api/r/${link.channel}.${link.messageId}.${link.occurrence}.${link.userId}`,
    renderEmail: (input): RenderedEmail => ({
      subject: `Hello ${input.recipientName ?? ''}`,
      html: `<a href="${input.clickUrl}">open</a>`,
      plainText: input.clickUrl,
      language: input.language ?? 'en',
    }),
    submitEmail: world.email.submitEmail,
    emailStatus: world.email.emailStatus,
    sleep: async (ms) => clock.advance(ms),
    sendTeamsBulk: world.teams.sendTeamsBulk,
  });
  return { ...world, jobs };
}

export function pushWorld(options: { directory?: FakeDirectory; push?: FakePush; devices?: FakeDevices } = {}) {
  const clock = new FakeClock();
  const world = {
    clock,
    deliveries: new FakeDeliveryStore(),
    queue: new FakeQueue(),
    counters: new FakeCounters(),
    notifications: new FakeNotifications(),
    devices: options.devices ?? new FakeDevices(),
    directory: options.directory ?? new FakeDirectory([]),
    limits: new FakeSendLimits(),
    push: options.push ?? new FakePush(),
    held: new FakeHeld(),
  };
  const jobs = createPushJobs({
    deliveries: world.deliveries,
    enqueue: world.queue.enqueue,
    counters: world.counters,
    tenantSettings: settingsOf(),
    clock,
    leaseMs: () => LEASE_MS,
    held: world.held,
    notifications: world.notifications,
    devices: world.devices,
    directory: world.directory,
    admitSend: world.limits.admitSend,
    sendPush: world.push.sendPush,
  });
  return { ...world, jobs };
}

export const user = (id: string, more: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id,
  userPrincipalName: `${id}@contoso.test`,
  displayName: id,
  mail: `${id}@contoso.test`,
  ...more,
});
