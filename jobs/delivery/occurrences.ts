/** Starting a push-channel occurrence, for the lifecycle's activities, from the wired delivery jobs (`occurrenceStarts.ts`). */
import { deliveryJobs } from './deliveryWiring.js';

export const { startPushOccurrence } = deliveryJobs;
