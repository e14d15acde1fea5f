/** The custom notification jobs on the real adapters: the one place they are wired, for the queue triggers and the API. */
import { sendPush } from '../../adapters/services/pushProviders.js';
import { directory } from '../../adapters/services/graphDirectory.js';
import { getDevice, markStale, pushableDevices } from '../../adapters/stores/deviceStore.js';
import { createNotification, getNotification, setBatches } from '../../adapters/stores/notificationStore.js';
import { admitSend } from '../../adapters/stores/sendLimitStore.js';
import { batchWorkerAdapters } from '../delivery/deliveryWiring.js';
import { createPushJobs } from './pushJobs.js';

export const pushJobs = createPushJobs({
  ...batchWorkerAdapters,
  notifications: { getNotification, createNotification, setBatches },
  devices: { getDevice, pushableDevices, markStale },
  directory: directory(),
  admitSend,
  sendPush,
});
