import { app } from '@azure/functions';
import { now } from '../../adapters/clock.js';

app.http('health', {
  methods: ['GET'],
  route: 'health',
  authLevel: 'anonymous',
  handler: async () => ({ jsonBody: { status: 'ok', service: 'herald', time: new Date(now()).toISOString() } }),
});
