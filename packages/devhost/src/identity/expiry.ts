/**
 * Seconds from "3600", "90s", "15m", "1h", "2d", with a sign when wanted: "-5m" ended five minutes ago (an
 * expired token, for tests), "+1h" is "1h".
 */
export function parseExpiry(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = /^([+-]?\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!m) throw new RangeError(`"${value}" is not a duration like 3600, 15m, 1h, 2d or -5m`);
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
}
