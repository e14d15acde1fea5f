import { expect, test } from 'vitest';
import { DeviceReport, reportsPrerequisites, windowsSurfaceBlocker } from '../../../core/readiness.js';

test('"any message configured to be delivered to a Windows channel … requires that recipients use Windows 11 Enterprise"', () => {
  expect(windowsSurfaceBlocker({ osEdition: 'Windows 11 Enterprise', joinType: 'entraJoined' })).toBeUndefined();
  expect(windowsSurfaceBlocker({ osEdition: 'Microsoft Windows 11 Enterprise N' })).toBeUndefined();
  expect(windowsSurfaceBlocker({ osEdition: 'Windows 11 Pro' })).toBe(
    'Windows surfaces need Windows 11 Enterprise; this device runs Windows 11 Pro',
  );
  expect(windowsSurfaceBlocker({ osEdition: 'Windows 10 Enterprise' })).toMatch(/Windows 11 Enterprise/);
});

test('"Only Microsoft Entra ID joined devices are supported. Microsoft Entra (AD) hybrid joined devices aren\'t supported."', () => {
  expect(windowsSurfaceBlocker({ joinType: 'hybridJoined' })).toMatch(/hybrid joined devices are not supported/);
  expect(windowsSurfaceBlocker({ joinType: 'entraRegistered' })).toMatch(/only Entra registered/);
  expect(windowsSurfaceBlocker({ joinType: 'none' })).toMatch(/not joined/);
});

test('a device that reports nothing is served as before; a bad join type is refused, naming the values', () => {
  expect(windowsSurfaceBlocker({})).toBeUndefined();
  const bad = DeviceReport.safeParse({ joinType: 'domain' });
  expect(bad.success).toBe(false);
  expect(bad.error!.issues[0]!.message).toContain('entraJoined');
});

test('only the edition and the join type are judged: a device that sends just its name is not', () => {
  expect(reportsPrerequisites({})).toBe(false);
  expect(reportsPrerequisites({ deviceName: 'PC-1' })).toBe(false);
  expect(reportsPrerequisites({ joinType: 'entraJoined' })).toBe(true);
  expect(reportsPrerequisites({ osEdition: 'Windows 11 Pro' })).toBe(true);
  expect(DeviceReport.parse({ deviceName: '  PC-1 ' })).toEqual({ deviceName: 'PC-1' });
  expect(DeviceReport.safeParse({ deviceName: 'x'.repeat(65) }).error!.issues[0]!.message).toBe('must be 1 to 64 characters');
  expect(DeviceReport.safeParse({ deviceName: 'PC\n1' }).error!.issues[0]!.message).toBe('must not contain control characters');
  expect(DeviceReport.safeParse({ osEdition: ' ' }).error!.issues[0]!.message).toBe('must be 1 to 100 characters');
});
