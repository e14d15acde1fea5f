/** Reads more than one screen shows, under one key: a screen that changes them refreshes every screen that shows them. */
import { queryOptions } from '@tanstack/react-query';
import { ok, type Api } from './client';

/** The tenant's delivery policies (the Policies screen keeps them, the Readiness screen shows what they block). */
export const policiesQuery = (api: Api) =>
  queryOptions({ queryKey: ['policies'], queryFn: async () => (await ok(api.GET('/api/policies'))).items });
