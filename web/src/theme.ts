/** The browser's light or dark preference, followed as it changes. */
import { webDarkTheme, webLightTheme } from '@fluentui/react-components';
import { useSyncExternalStore } from 'react';

const query = () => window.matchMedia('(prefers-color-scheme: dark)');
const subscribe = (listener: () => void) => {
  const q = query();
  q.addEventListener('change', listener);
  return () => q.removeEventListener('change', listener);
};

export const useTheme = () => (useSyncExternalStore(subscribe, () => query().matches) ? webDarkTheme : webLightTheme);
