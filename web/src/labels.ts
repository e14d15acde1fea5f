/** The words the console shows for the API's values; typed by the API's own enums, so none is missing. */
import type { Location, MessageStatus, Objective } from './api/client';

export const STATUS: Record<MessageStatus, string> = {
  Draft: 'Draft',
  PendingApproval: 'Pending approval',
  Scheduled: 'Scheduled',
  Active: 'Active',
  Delivered: 'Delivered',
  Expired: 'Expired',
  Rejected: 'Rejected',
  Cancelled: 'Cancelled',
};

export const LOCATION: Record<Location, string> = {
  spotlight: 'Spotlight',
  notificationCenter: 'Notification Center',
  taskbar: 'Taskbar',
  teams: 'Teams',
  email: 'Email',
};

export const OBJECTIVE: Record<Objective, string> = {
  announcement: 'Announcement',
  onboarding: 'Onboarding',
  training: 'Training',
  productivity: 'Productivity',
  security: 'Security',
  wellbeing: 'Wellbeing',
  feedback: 'Feedback',
  event: 'Event',
};

export const keys = <K extends string>(record: Record<K, string>) => Object.keys(record) as K[];

export const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;

export const dateTime = (iso: string | undefined) =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';
