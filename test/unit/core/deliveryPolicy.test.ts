import { describe, expect, test } from 'vitest';
import { PolicySettings, policyBlocks, surfaceBlock, type DeliveryPolicy } from '../../../core/deliveryPolicy.js';

const SALES = 'aaaaaaaa-0000-4000-8000-000000000001';
const LAB = 'aaaaaaaa-0000-4000-8000-000000000002';

const policy = (name: string, groups: string[], settings: DeliveryPolicy['settings'], id = name): DeliveryPolicy => ({
  id,
  name,
  groups,
  settings,
});

describe('policyBlocks: the surfaces a policy stops, by the setting that stops them', () => {
  test('a policy that allows everything, or configures nothing, blocks nothing', () => {
    expect(policyBlocks(policy('Allow', [SALES], { enableOrganizationalMessages: true, allowSpotlight: true }))).toEqual([]);
    expect(policyBlocks(policy('Empty', [SALES], {}))).toEqual([]);
  });

  test('each child setting stops its own surface', () => {
    const surfaces = (settings: DeliveryPolicy['settings']) => policyBlocks(policy('P', [SALES], settings)).map((b) => b.surface);
    expect(surfaces({ spotlightOnActionCenter: false })).toEqual(['notificationCenter']);
    expect(surfaces({ windowsTips: false })).toEqual(['taskbar']);
    expect(surfaces({ spotlightOnLockScreen: false })).toEqual(['spotlight']);
  });

  test('delivery off, Spotlight off or cloud-optimized content disabled stops every Windows surface', () => {
    for (const settings of [{ enableOrganizationalMessages: false }, { allowSpotlight: false }, { disableCloudOptimizedContent: true }])
      expect(policyBlocks(policy('P', [SALES], settings)).map((b) => b.surface)).toEqual(['spotlight', 'notificationCenter', 'taskbar']);
    // "Make sure Disable Cloud Optimized Content is set to Disabled": false is the allowing value.
    expect(policyBlocks(policy('P', [SALES], { disableCloudOptimizedContent: false }))).toEqual([]);
  });

  test('the reason names the policy, the surface and the setting', () => {
    expect(policyBlocks(policy('Kiosks', [SALES], { spotlightOnLockScreen: false }))).toEqual([
      {
        surface: 'spotlight',
        policyId: 'Kiosks',
        policyName: 'Kiosks',
        setting: 'spotlightOnLockScreen',
        reason: 'delivery policy "Kiosks" blocks Spotlight: Configure Windows Spotlight on Lock Screen is off',
      },
    ]);
  });
});

describe('surfaceBlock: what blocks a surface for one person', () => {
  const policies = [policy('No Spotlight', [SALES], { allowSpotlight: false }), policy('Lab tips off', [LAB], { windowsTips: false })];

  test('applies only to members of the policy’s groups (ids in any case)', () => {
    expect(surfaceBlock('spotlight', new Set([SALES]), policies)?.policyName).toBe('No Spotlight');
    expect(surfaceBlock('spotlight', new Set([LAB]), policies)).toBeUndefined();
    expect(surfaceBlock('spotlight', new Set(), policies)).toBeUndefined();
    expect(
      surfaceBlock('spotlight', new Set([SALES]), [policy('Upper', [SALES.toUpperCase()], { allowSpotlight: false })])?.policyName,
    ).toBe('Upper');
  });

  test('a block wins over another policy’s allow; of several blocks the first by name is named', () => {
    const both = new Set([SALES, LAB]);
    expect(surfaceBlock('taskbar', both, [policy('Allow all', [LAB], { windowsTips: true }), ...policies])?.policyName).toBe(
      'Lab tips off',
    );
    expect(
      surfaceBlock('taskbar', both, [policy('Z off', [SALES], { windowsTips: false }), policy('A off', [LAB], { windowsTips: false })])
        ?.policyName,
    ).toBe('A off');
  });
});

describe('PolicySettings', () => {
  test('takes only the document’s settings, each true or false', () => {
    expect(PolicySettings.safeParse({ allowSpotlight: false }).success).toBe(true);
    const unknown = PolicySettings.safeParse({ allowCortana: false });
    expect(unknown.success).toBe(false);
    expect(PolicySettings.safeParse({ allowSpotlight: 'no' }).error?.issues[0]).toMatchObject({
      path: ['allowSpotlight'],
      message: 'must be true or false',
    });
  });
});
