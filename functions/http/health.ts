import type { z } from 'zod';
import { now } from '../../adapters/runtime/clock.js';
import { route } from './routes.js';
import { Health } from './schemas/serviceSchemas.js';

route({
  name: 'health',
  route: 'health',
  tag: 'service',
  method: 'GET',
  operationId: 'getHealth',
  summary: 'Whether the app is up',
  role: 'public',
  response: { status: 200, description: 'The app is up.', schema: Health },
  problems: [],
  handler: async () => {
    const body: z.output<typeof Health> = { status: 'ok', service: 'herald', time: new Date(now()).toISOString() };
    return { jsonBody: body };
  },
});
