/** The console's screens are paths (/messages/…), kept in the browser's history; the server answers each with the page. */
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();
const subscribe = (listener: () => void) => {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
};

export function navigate(to: string) {
  history.pushState(null, '', to);
  for (const l of listeners) l();
}

export const usePath = () => useSyncExternalStore(subscribe, () => location.pathname + location.search);

/** `/messages/:id` against `/messages/42`: `{ id: '42' }`, or undefined when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const [pathname = ''] = path.split('?');
  const want = pattern.split('/');
  const got = pathname.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, w] of want.entries()) {
    if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(got[i]!);
    else if (w !== got[i]) return undefined;
  }
  return params;
}
