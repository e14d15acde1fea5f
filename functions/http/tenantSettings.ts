/** `/api/tenant/settings`: any signed-in user of the tenant reads them; only a Tenant.Admin changes them. */
import { getTenantSettings, putTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import { route } from './routes.js';
import { TenantSettings } from './schemas/tenantSchemas.js';

route({
  name: 'tenantSettings',
  route: 'tenant/settings',
  tag: 'tenant',
  methods: (op) => ({
    GET: op({
      operationId: 'getTenantSettings',
      summary: 'The tenant’s settings',
      role: 'tenant.read',
      response: { status: 200, description: 'The settings (E5 in UTC until a Tenant.Admin sets them).', schema: TenantSettings },
      problems: [],
      handler: async ({ caller }) => ({ jsonBody: await getTenantSettings(caller.tenantId) }),
    }),
    PUT: op({
      operationId: 'putTenantSettings',
      summary: 'Change the tenant’s settings',
      role: 'tenant.configure',
      body: TenantSettings,
      response: { status: 200, description: 'The settings as stored.', schema: TenantSettings },
      problems: [],
      handler: async ({ caller, body }) => ({ jsonBody: await putTenantSettings(caller.tenantId, await body()) }),
    }),
  }),
});
