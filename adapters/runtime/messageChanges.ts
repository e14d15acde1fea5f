/**
 * In-process news of a message's status changes. A request that waits for the lifecycle to apply a change
 * hears it here the moment the activity has written it, instead of re-reading the row; when the activity
 * runs in another instance (scaled out on Azure), the waiter's slow poll still finds the change.
 */
import { EventEmitter } from 'node:events';
import type { MessageRecord } from '../../core/records.js';

const changes = new EventEmitter();
changes.setMaxListeners(0);

const key = (tenant: string, id: string) => `${tenant}/${id}`;

/** Tells waiters in this process that `message` was just written (they need not read it again). */
export function announceChange(tenant: string, message: MessageRecord): void {
  changes.emit(key(tenant, message.id), message);
}

/** Resolves with the message as announced at its next change, or with undefined after `ms`. */
export function nextChange(tenant: string, id: string, ms: number): Promise<MessageRecord | undefined> {
  return new Promise((resolve) => {
    const done = (message?: MessageRecord) => {
      clearTimeout(timer);
      changes.off(key(tenant, id), done);
      resolve(message);
    };
    const timer = setTimeout(done, ms);
    changes.once(key(tenant, id), done);
  });
}
