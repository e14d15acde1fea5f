/** Sign-in with Microsoft Entra through MSAL Browser: redirects, tokens cached by MSAL in sessionStorage. */
import { InteractionRequiredAuthError, PublicClientApplication } from '@azure/msal-browser';
import { accountOf, RETURN_TO, type ConsoleConfig, type Session } from './session';

export async function createMsalSession(config: ConsoleConfig): Promise<Session> {
  const msal = new PublicClientApplication({
    auth: { clientId: config.clientId, authority: config.authority, redirectUri: `${location.origin}/` },
    cache: { cacheLocation: 'sessionStorage' },
  });
  await msal.initialize();
  const request = { scopes: config.scopes };
  const session: Session = {
    async start() {
      const result = await msal.handleRedirectPromise();
      if (result) {
        msal.setActiveAccount(result.account);
        history.replaceState(null, '', sessionStorage.getItem(RETURN_TO) ?? '/');
        sessionStorage.removeItem(RETURN_TO);
      }
      const account = msal.getActiveAccount() ?? msal.getAllAccounts()[0];
      if (!account) return undefined;
      msal.setActiveAccount(account);
      return accountOf(await session.accessToken());
    },
    async signIn() {
      if (!sessionStorage.getItem(RETURN_TO)) sessionStorage.setItem(RETURN_TO, location.pathname + location.search);
      await msal.loginRedirect(request);
    },
    async signOut() {
      await msal.logoutRedirect();
    },
    async accessToken() {
      try {
        return (await msal.acquireTokenSilent(request)).accessToken;
      } catch (error) {
        if (!(error instanceof InteractionRequiredAuthError)) throw error;
        sessionStorage.setItem(RETURN_TO, location.pathname + location.search);
        await msal.acquireTokenRedirect(request);
        return new Promise<never>(() => {});
      }
    },
  };
  return session;
}
