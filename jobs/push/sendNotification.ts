/** Sending a custom notification, for the API, from the wired push jobs (`notificationSends.ts` does it). */
import { pushJobs } from './pushWiring.js';

export { SendLimited, SendRefused, type SendCommand } from './notificationSends.js';
export const { sendNotification } = pushJobs;
