/**
 * A queue output binding on the app's storage account, for a function that hands a message on to a hop's
 * queue when it returns (docs/decisions/hand-offs.md): the Functions SDK stays in adapters/ and functions/.
 */
import { output, type StorageQueueOutput } from '@azure/functions';
import type { QueueHop } from '../../core/hops.js';

export const queueOutput = <T>(hop: QueueHop<T>): StorageQueueOutput =>
  output.storageQueue({ queueName: hop.name, connection: 'AzureWebJobsStorage' });
