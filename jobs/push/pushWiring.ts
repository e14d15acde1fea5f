/** The custom notification jobs on the real adapters: the one place they are wired, for the queue triggers and the API. */
import { sendPush } from '../../adapters/services/pushProviders.js';
import { directory } from '../../adapters/services/graphDirectory.js';
import { getDevice, markStale, pushableDevicesIn } from '../../adapters/stores/deviceStore.js';
import { createNotification, getNotification, setBatches, setIdRanges, setRangeBatches } from '../../adapters/stores/notificationStore.js';
import { admitSend } from '../../adapters/stores/sendLimitStore.js';
import { batchWorkerAdapters } from '../delivery/deliveryWiring.js';
import { createPushJobs } from './pushJobs.js';

export const pushJobs = createPushJobs({
  ...batchWorkerAdapters,
  notifications: { getNotification, createNotification, setIdRanges, setRangeBatches, setBatches },
  devices: { getDevice, pushableDevicesIn, markStale },
  directory: directory(),
  admitSend,
  sendPush,
});
