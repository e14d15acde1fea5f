import { app } from '@azure/functions';
import { z } from 'zod';
import { now } from '../../adapters/runtime/clock.js';

/** `GET /api/health`: the app is up, and the time it runs on. */
export const Health = z.object({ status: z.literal('ok'), service: z.literal('herald'), time: z.iso.datetime() });

app.http('health', {
  methods: ['GET'],
  route: 'health',
  authLevel: 'anonymous',
  handler: async () => {
    const body: z.output<typeof Health> = { status: 'ok', service: 'herald', time: new Date(now()).toISOString() };
    return { jsonBody: body };
  },
});
