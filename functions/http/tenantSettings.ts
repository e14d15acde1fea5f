/** `/api/tenant/settings`: any signed-in user of the tenant reads them; only a Tenant.Admin changes them. */
import { DEFAULT_SETTINGS, getTenantSettings, putTenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import { validationProblem } from './problem.js';
import { route } from './routes.js';
import { TenantSettings, TenantSettingsPatch } from './schemas/tenantSchemas.js';

/** RFC 7396 over the stored settings: a field named replaces the stored one; `null` puts back its default. */
async function patch(tenant: string, changes: Record<string, unknown>) {
  const merged: Record<string, unknown> = { ...(await getTenantSettings(tenant)) };
  for (const [field, value] of Object.entries(changes))
    merged[field] = value === null ? DEFAULT_SETTINGS[field as keyof typeof DEFAULT_SETTINGS] : value;
  const parsed = TenantSettings.safeParse(merged);
  if (!parsed.success) throw validationProblem(parsed.error.issues);
  return putTenantSettings(tenant, parsed.data);
}

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
    PATCH: op({
      operationId: 'patchTenantSettings',
      summary: 'Change some of the tenant’s settings',
      description: 'A JSON merge patch (RFC 7396): each field named replaces the stored one, `null` puts back its default.',
      role: 'tenant.configure',
      body: TenantSettingsPatch,
      response: { status: 200, description: 'The settings as stored.', schema: TenantSettings },
      problems: [],
      handler: async ({ caller, body }) => ({ jsonBody: await patch(caller.tenantId, await body()) }),
    }),
  }),
});
