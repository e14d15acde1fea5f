/** The tenant's settings as `/api/tenant/settings` reads and answers them: the store's own schema. */
import { TenantSettings } from '../../../adapters/stores/tenantSettingsStore.js';
import { requestComponents, responseComponents } from './components.js';

TenantSettings.register(requestComponents, {
  id: 'TenantSettings',
  description: 'The tenant’s licence tier and default time zone (an IANA time zone such as Europe/Paris).',
}).register(responseComponents, { id: 'TenantSettingsView' });
export { TenantSettings };
