// Shared by the report suites: reading the activity report, the message's own figures and CSV exports as a
// user would (the CSV through the link the API redirects to).
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { expect } from 'vitest';
import type { Client } from './support.js';

export interface Figures {
  impressions: number;
  seen: number;
  viewers: number;
  clicks: number;
  clickers: number;
  clickThroughRate: number;
  dismissed: number;
  dismissers: number;
  delivered: number;
  failed: number;
}

export interface ActivityReport {
  timeZone: string;
  from: string;
  to: string;
  messages: number;
  totals: Figures;
  days: (Figures & { date: string })[];
}

export const ZERO: Figures = {
  impressions: 0,
  seen: 0,
  viewers: 0,
  clicks: 0,
  clickers: 0,
  clickThroughRate: 0,
  dismissed: 0,
  dismissers: 0,
  delivered: 0,
  failed: 0,
};

export async function activity(client: Client, query: Record<string, string>): Promise<ActivityReport> {
  const res = await client(`/api/reports/activity?${new URLSearchParams(query)}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as ActivityReport;
}

export async function messageActivity(client: Client, id: string) {
  const res = await client(`/api/messages/${id}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { activity: Record<string, number> }).activity;
}

/** The day `at` falls on in `zone`, as the reports name days. */
export const dayIn = (at: number, zone: string) => DateTime.fromMillis(at, { zone }).toISODate()!;

export interface CsvFile {
  /** The raw text, byte-order mark included. */
  text: string;
  header: string[];
  rows: Record<string, string>[];
}

/** Asks for an export, follows the 303 to the file and parses it (RFC 4180). */
export async function csvExport(client: Client, path: string): Promise<CsvFile> {
  const res = await client(path, { redirect: 'manual' });
  expect(res.status, await res.clone().text()).toBe(303);
  const link = res.headers.get('location')!;
  expect(((await res.json()) as { url: string }).url).toBe(link);
  const file = await fetch(link);
  expect(file.status).toBe(200);
  expect(file.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await file.arrayBuffer());
  const records = parse(text, { bom: true, relax_column_count: false }) as string[][];
  const [header = [], ...body] = records;
  return { text, header, rows: body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))) };
}
