/** `/api/tenant/settings`: any signed-in user of the tenant reads them; only a Tenant.Admin changes them. */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { getTenantSettings, putTenantSettings, TenantSettings } from '../../adapters/stores/tenantSettingsStore.js';
import { handle } from './problem.js';
import { authorize, jsonBody } from './request.js';

async function read(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'tenant.read');
  return { jsonBody: await getTenantSettings(caller.tenantId) };
}

async function write(request: HttpRequest): Promise<HttpResponseInit> {
  const caller = await authorize(request, 'tenant.configure');
  const settings = await jsonBody(request, TenantSettings);
  return { jsonBody: await putTenantSettings(caller.tenantId, settings) };
}

app.http('tenantSettings', {
  methods: ['GET', 'PUT'],
  route: 'tenant/settings',
  authLevel: 'anonymous',
  handler: handle((request) => (request.method === 'PUT' ? write(request) : read(request))),
});
