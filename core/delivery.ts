/**
 * Delivery to push channels (Teams, email): statuses, what a send can come back with, and the arithmetic
 * of batches and progress. Pure.
 */
import type { Location } from './message.js';

export type Channel = 'inbox' | 'teams' | 'email';
export const CHANNEL_OF: Record<Location, Channel> = {
  spotlight: 'inbox',
  notificationCenter: 'inbox',
  taskbar: 'inbox',
  teams: 'teams',
  email: 'email',
};
export const isPushChannel = (c: Channel): c is 'teams' | 'email' => c !== 'inbox';

export const DELIVERY_STATUSES = ['pending', 'sent', 'failed', 'throttled', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** What one provider call (one recipient, or one bulk request) came back with. */
export type SendOutcome =
  | { status: 'sent' }
  | { status: 'failed'; reason: string; /** retrying cannot help (bad address, rejected request) */ permanent: boolean }
  | { status: 'throttled'; retryAfterMs: number; reason: string };
