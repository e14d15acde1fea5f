/**
 * Checks an FCM HTTP v1 `messages:send` body the way FCM does: first as protobuf JSON (unknown fields,
 * wrong types, enum and Duration formats; field names in snake_case or lowerCamelCase, as protobuf JSON
 * allows), then FCM's own rules (exactly one target, a token that looks like one, no reserved data keys,
 * a payload of at most 4096 bytes). A failure comes back with FCM's message text and the field it names.
 */

/** FCM's limit on a message's payload (notification and data, with their platform overrides). */
export const MAX_PAYLOAD_BYTES = 4096;

type Kind =
  | { t: 'string' | 'bool' | 'int' | 'duration' | 'struct' | 'map' }
  | { t: 'enum'; type: string; values: string[] }
  | { t: 'list'; of: Kind }
  | { t: 'message'; fields: Record<string, Kind> };

const str: Kind = { t: 'string' };
const bool: Kind = { t: 'bool' };
const int: Kind = { t: 'int' };
const map: Kind = { t: 'map' };
const struct: Kind = { t: 'struct' };
const strings: Kind = { t: 'list', of: str };
const message = (fields: Record<string, Kind>): Kind => ({ t: 'message', fields });

const NOTIFICATION = message({ title: str, body: str, image: str });
const ANDROID_NOTIFICATION = message({
  title: str,
  body: str,
  icon: str,
  color: str,
  sound: str,
  tag: str,
  click_action: str,
  body_loc_key: str,
  body_loc_args: strings,
  title_loc_key: str,
  title_loc_args: strings,
  channel_id: str,
  ticker: str,
  sticky: bool,
  event_time: str,
  local_only: bool,
  notification_priority: {
    t: 'enum',
    type: 'NotificationPriority',
    values: ['PRIORITY_UNSPECIFIED', 'PRIORITY_MIN', 'PRIORITY_LOW', 'PRIORITY_DEFAULT', 'PRIORITY_HIGH', 'PRIORITY_MAX'],
  },
  default_sound: bool,
  default_vibrate_timings: bool,
  default_light_settings: bool,
  vibrate_timings: strings,
  visibility: { t: 'enum', type: 'Visibility', values: ['VISIBILITY_UNSPECIFIED', 'PRIVATE', 'PUBLIC', 'SECRET'] },
  notification_count: int,
  light_settings: struct,
  image: str,
  bypass_proxy_notification: bool,
  proxy: { t: 'enum', type: 'Proxy', values: ['PROXY_UNSPECIFIED', 'ALLOW', 'DENY', 'IF_PRIORITY_LOWERED'] },
});
const ANDROID = message({
  collapse_key: str,
  priority: { t: 'enum', type: 'AndroidMessagePriority', values: ['NORMAL', 'HIGH'] },
  ttl: { t: 'duration' },
  restricted_package_name: str,
  data: map,
  notification: ANDROID_NOTIFICATION,
  fcm_options: message({ analytics_label: str }),
  direct_boot_ok: bool,
  bandwidth_constrained_ok: bool,
  restricted_satellite_ok: bool,
});
const APNS = message({
  headers: map,
  payload: struct,
  fcm_options: message({ analytics_label: str, image: str }),
  live_activity_token: str,
});
const WEBPUSH = message({ headers: map, data: map, notification: struct, fcm_options: message({ link: str, analytics_label: str }) });
const MESSAGE = message({
  name: str,
  data: map,
  notification: NOTIFICATION,
  android: ANDROID,
  webpush: WEBPUSH,
  apns: APNS,
  fcm_options: message({ analytics_label: str }),
  token: str,
  topic: str,
  condition: str,
});
const REQUEST = message({ validate_only: bool, message: MESSAGE });

/** Keys FCM keeps for itself in a data payload. */
const RESERVED_DATA_KEYS = new Set(['from', 'notification', 'message_type']);
const RESERVED_DATA_PREFIXES = ['google', 'gcm'];

export interface FcmMessage {
  token?: string;
  topic?: string;
  condition?: string;
  data?: Record<string, string>;
  notification?: { title?: string; body?: string; image?: string };
  android?: {
    collapse_key?: string;
    priority?: string;
    ttl?: string;
    data?: Record<string, string>;
    notification?: { title?: string; body?: string };
  };
  apns?: { headers?: Record<string, string>; payload?: Record<string, unknown> };
  webpush?: Record<string, unknown>;
  fcm_options?: Record<string, unknown>;
}

export type Checked =
  { ok: true; message: FcmMessage; validateOnly: boolean } | { ok: false; message: string; field: string; fcmError: boolean };

const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

class Invalid extends Error {
  constructor(
    message: string,
    readonly field: string,
    readonly fcmError = false,
  ) {
    super(message);
  }
}

const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value)));
const wrongValue = (path: string, type: string, value: unknown) =>
  new Invalid(`Invalid value at '${path}' (${type}), ${show(value)}`, path);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Returns the value with field names in snake_case, or throws `Invalid`. */
function walk(value: unknown, kind: Kind, path: string): unknown {
  switch (kind.t) {
    case 'string':
      if (typeof value !== 'string') throw wrongValue(path, 'TYPE_STRING', value);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw wrongValue(path, 'TYPE_BOOL', value);
      return value;
    case 'int':
      if (!(Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value)))) throw wrongValue(path, 'TYPE_INT32', value);
      return Number(value);
    case 'duration':
      // Protobuf JSON writes a Duration as seconds with up to nine decimals and an "s": "3600s", "1.5s".
      if (typeof value !== 'string' || !/^\d+(\.\d{1,9})?s$/.test(value))
        throw wrongValue(path, 'type.googleapis.com/google.protobuf.Duration', value);
      return value;
    case 'enum': {
      // FCM reads enum names without regard to case: firebase-admin sends android.priority as "high".
      const name = typeof value === 'string' ? kind.values.find((v) => v === value.toUpperCase()) : undefined;
      if (name === undefined) throw wrongValue(path, `type.googleapis.com/google.firebase.fcm.v1.${kind.type}`, value);
      return name;
    }
    case 'struct':
      if (!isObject(value)) throw wrongValue(path, 'type.googleapis.com/google.protobuf.Struct', value);
      return value;
    case 'map': {
      if (!isObject(value)) throw wrongValue(path, 'TYPE_MESSAGE', value);
      Object.entries(value).forEach(([, v], i) => {
        if (typeof v !== 'string') throw wrongValue(`${path}[${i}].value`, 'TYPE_STRING', v);
      });
      return value;
    }
    case 'list':
      if (!Array.isArray(value)) throw wrongValue(path, 'TYPE_STRING', value);
      return value.map((item, i) => walk(item, kind.of, `${path}[${i}]`));
    case 'message': {
      if (!isObject(value)) throw wrongValue(path, 'TYPE_MESSAGE', value);
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(value)) {
        const name = snake(key);
        const fieldKind = kind.fields[name];
        if (!fieldKind)
          throw new Invalid(
            `Invalid JSON payload received. Unknown name ${JSON.stringify(key)}${path ? ` at '${path}'` : ''}: Cannot find field.`,
            path,
          );
        if (field === null) continue;
        out[name] = walk(field, fieldKind, path ? `${path}.${name}` : name);
      }
      return out;
    }
  }
}

/** What counts against the 4096-byte limit: everything delivered to the device, not the target or the options. */
function payloadBytes(m: FcmMessage): number {
  const delivered = {
    data: m.data,
    notification: m.notification,
    android: m.android && { data: m.android.data, notification: m.android.notification },
    apns: m.apns?.payload,
    webpush: m.webpush && { data: m.webpush.data, notification: m.webpush.notification },
  };
  return Buffer.byteLength(JSON.stringify(delivered), 'utf8');
}

function checkData(data: Record<string, string> | undefined, path: string): void {
  for (const key of Object.keys(data ?? {})) {
    const lower = key.toLowerCase();
    if (RESERVED_DATA_KEYS.has(lower) || RESERVED_DATA_PREFIXES.some((p) => lower.startsWith(p)))
      throw new Invalid(`Invalid data payload key: ${key}`, path, true);
  }
}

function checkFcmRules(m: FcmMessage): void {
  const targets = (['token', 'topic', 'condition'] as const).filter((t) => m[t] !== undefined);
  if (targets.length === 0) throw new Invalid('Recipient of the message is not set.', 'message', true);
  if (targets.length > 1)
    throw new Invalid(`Invalid value at 'message' (oneof), oneof field 'target' is already set. Cannot set '${targets[1]}'`, 'message');
  // Registration tokens are long strings of URL-safe base64 and ':'; anything else cannot have come from a device.
  if (m.token !== undefined && !/^[A-Za-z0-9_:.-]{1,4096}$/.test(m.token))
    throw new Invalid('The registration token is not a valid FCM registration token', 'message.token', true);
  if (m.topic !== undefined && !/^[a-zA-Z0-9-_.~%]{1,900}$/.test(m.topic))
    throw new Invalid(`Invalid topic name: ${m.topic}`, 'message.topic', true);
  if (m.condition !== undefined && m.condition.trim() === '') throw new Invalid('Invalid condition expression.', 'message.condition', true);
  checkData(m.data, 'message.data');
  checkData(m.android?.data, 'message.android.data');
  const size = payloadBytes(m);
  if (size > MAX_PAYLOAD_BYTES)
    throw new Invalid(`Message is too big: its payload is ${size} bytes, and FCM allows ${MAX_PAYLOAD_BYTES}.`, 'message', true);
}

export function checkSendRequest(body: unknown): Checked {
  try {
    const request = walk(body, REQUEST, '') as { validate_only?: boolean; message?: FcmMessage };
    if (!request.message) throw new Invalid('Request contains an invalid argument: message is required.', 'message');
    checkFcmRules(request.message);
    return { ok: true, message: request.message, validateOnly: request.validate_only === true };
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    return { ok: false, message: error.message, field: error.field, fcmError: error.fcmError };
  }
}
