/**
 * The tenant's verified domains from Microsoft Graph (`GET /organization?$select=verifiedDomains`): a
 * provider's sender addresses and test users must be in one of them (core/provider.ts).
 */
import { graphClient } from './graphClient.js';

interface Organization {
  verifiedDomains?: { name: string }[];
}

export async function verifiedDomains(tenantId: string): Promise<string[]> {
  const answer = (await graphClient(tenantId).api('/organization').select('verifiedDomains').get()) as { value: Organization[] };
  return answer.value.flatMap((o) => (o.verifiedDomains ?? []).map((d) => d.name.toLowerCase()));
}
