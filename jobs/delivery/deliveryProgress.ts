/** An occurrence's progress for the delivery API, from the wired delivery jobs (`progress.ts` computes it). */
import { deliveryJobs } from './deliveryWiring.js';

export type { OccurrenceProgress } from './progress.js';
export const { occurrenceProgress } = deliveryJobs;
