/** What the service's own endpoints answer. */
import { z } from 'zod';
import { responseComponents } from './components.js';

/** `GET /api/health`: the app is up, and the time it runs on. */
export const Health = z
  .object({ status: z.literal('ok'), service: z.literal('herald'), time: z.iso.datetime() })
  .register(responseComponents, { id: 'Health' });
