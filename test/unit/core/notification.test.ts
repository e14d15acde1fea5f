import { describe, expect, test } from 'vitest';
import { admit, compareVersions, DeviceInput, MIN_ANDROID_APP_VERSION, needsAppUpdate, updatePrompt } from '../../../core/notification.js';

describe('"For Android devices, users must update to recent versions of the Android Company Portal (version 5.0.5291.0 …) or Android Intune app (version 2021.09.04 …)"', () => {
  test('versions compare part by part as numbers', () => {
    expect(compareVersions('5.0.5290.9', '5.0.5291.0')).toBe(-1);
    expect(compareVersions('5.1', '5.0.5291.0')).toBe(1);
    expect(compareVersions('5.0.5291', '5.0.5291.0')).toBe(0);
    expect(compareVersions('2021.09.03', '2021.09.04')).toBe(-1);
    expect(compareVersions('2021.10', '2021.09.04')).toBe(1);
  });

  test('an Android app below its minimum needs an update; the same version, a newer one, or iOS does not', () => {
    expect(needsAppUpdate({ platform: 'android', app: 'companyPortal', appVersion: '5.0.5290.0' })).toBe(true);
    expect(needsAppUpdate({ platform: 'android', app: 'companyPortal', appVersion: MIN_ANDROID_APP_VERSION.companyPortal })).toBe(false);
    expect(needsAppUpdate({ platform: 'android', app: 'intune', appVersion: '2021.08.30' })).toBe(true);
    expect(needsAppUpdate({ platform: 'android', app: 'intune', appVersion: '2022.01.01' })).toBe(false);
    expect(needsAppUpdate({ platform: 'ios', app: 'companyPortal', appVersion: '1.0' })).toBe(false);
    // Registered before the app was recorded: the Company Portal.
    expect(needsAppUpdate({ platform: 'android', appVersion: '4.9' })).toBe(true);
  });

  test('"they will instead receive a notification telling them to update their app to view the notification"', () => {
    expect(updatePrompt('intune').body).toContain('Microsoft Intune app');
    expect(updatePrompt('companyPortal').body).toContain('Company Portal app');
  });

  test('a registration names its app (the Company Portal unless it says otherwise)', () => {
    const base = { platform: 'android', pushToken: 'token-123456', appVersion: '5.1', enrolled: true };
    expect(DeviceInput.parse(base).app).toBe('companyPortal');
    expect(DeviceInput.parse({ ...base, app: 'intune' }).app).toBe('intune');
    expect(DeviceInput.safeParse({ ...base, app: 'teams' }).success).toBe(false);
  });
});

describe('the hourly send limits as a sliding window', () => {
  const HOUR = 3_600_000;

  test('a send stamped a moment after now (a concurrent request, another clock) still counts, and is kept', () => {
    const later = 1_000_005;
    const verdict = admit([later], 1_000_000, 2);
    expect(verdict).toEqual({ admitted: true, sends: [1_000_000, later] });
    expect(admit([1_000_000, later], 1_000_001, 2)).toEqual({ admitted: false, retryAfterMs: HOUR - 1 });
  });

  test('sends older than the hour leave it; the wait is until the oldest counted one leaves', () => {
    expect(admit([0, 10, 20], HOUR, 2)).toEqual({ admitted: false, retryAfterMs: 10 });
    expect(admit([0, 10, 20], HOUR + 10, 2)).toEqual({ admitted: true, sends: [20, HOUR + 10] });
  });
});
