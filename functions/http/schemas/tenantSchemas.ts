/** The tenant's settings as `/api/tenant/settings` reads and answers them: the store's own schema. */
import { z } from 'zod';
import { TenantSettings } from '../../../adapters/stores/tenantSettingsStore.js';
import { requestComponents, responseComponents } from './components.js';

TenantSettings.register(requestComponents, {
  id: 'TenantSettings',
  description: 'The tenant’s licence tier and default time zone (an IANA time zone such as Europe/Paris).',
}).register(responseComponents, { id: 'TenantSettingsView' });
export { TenantSettings };

export const TenantSettingsPatch = z.record(z.string(), z.unknown()).register(requestComponents, {
  id: 'TenantSettingsPatch',
  description:
    'A JSON merge patch (RFC 7396) over the settings (those of TenantSettings): each field named replaces the stored one, ' +
    '`null` puts back its default. The merged settings must be valid TenantSettings.',
});
