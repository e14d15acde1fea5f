/**
 * In-process news of a message's status changes. A request that waits for the lifecycle to apply a change
 * hears it here the moment the activity has written it, instead of re-reading the row; when the activity
 * runs in another instance (scaled out on Azure), the waiter's slow poll still finds the change.
 */
import { EventEmitter } from 'node:events';

const changes = new EventEmitter();
changes.setMaxListeners(0);

const key = (tenant: string, id: string) => `${tenant}/${id}`;

export function announceChange(tenant: string, id: string): void {
  changes.emit(key(tenant, id));
}

/** Resolves on the next announced change of the message, or after `ms`. */
export function nextChange(tenant: string, id: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      changes.off(key(tenant, id), done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    changes.once(key(tenant, id), done);
  });
}
