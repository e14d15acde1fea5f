import { createContext, useContext } from 'react';
import type { Api } from './api/client';
import type { Account, Session } from './auth/session';

export interface Signed {
  api: Api;
  account: Account;
  session: Session;
}

export const SignedIn = createContext<Signed | undefined>(undefined);

export function useSigned(): Signed {
  const signed = useContext(SignedIn);
  if (!signed) throw new Error('useSigned outside a signed-in page');
  return signed;
}

export const hasRole = (account: Account, ...roles: string[]) => roles.some((r) => account.roles.includes(r));
