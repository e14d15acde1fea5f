/**
 * Authorization code + PKCE (S256) against an OpenID provider with Entra's endpoint shapes
 * (`<authority>/oauth2/v2.0/authorize` and `/token`): devhost's identity stand-in locally. The token is kept in
 * sessionStorage, so it lasts as long as the tab and no longer.
 */
import * as oauth from 'oauth4webapi';
import { accountOf, RETURN_TO, type ConsoleConfig, type Session } from './session';

const VERIFIER = 'herald.pkce';
const STATE = 'herald.state';
const TOKEN = 'herald.token';

export function createOidcSession(config: ConsoleConfig): Session {
  const as: oauth.AuthorizationServer = {
    issuer: `${config.authority}/v2.0`,
    authorization_endpoint: `${config.authority}/oauth2/v2.0/authorize`,
    token_endpoint: `${config.authority}/oauth2/v2.0/token`,
  };
  const client: oauth.Client = { client_id: config.clientId };
  const redirectUri = `${location.origin}/`;
  const insecure = { [oauth.allowInsecureRequests]: as.token_endpoint!.startsWith('http:') };

  const stored = () => {
    const raw = sessionStorage.getItem(TOKEN);
    if (!raw) return undefined;
    const token = JSON.parse(raw) as { accessToken: string; expiresAt: number };
    return token.expiresAt > Date.now() + 30_000 ? token : undefined;
  };

  const session: Session = {
    async start() {
      const url = new URL(location.href);
      const state = sessionStorage.getItem(STATE);
      if (state && (url.searchParams.has('code') || url.searchParams.has('error'))) {
        sessionStorage.removeItem(STATE);
        const params = oauth.validateAuthResponse(as, client, url, state);
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          oauth.None(),
          params,
          redirectUri,
          sessionStorage.getItem(VERIFIER) ?? '',
          insecure,
        );
        const result = await oauth.processAuthorizationCodeResponse(as, client, response);
        sessionStorage.removeItem(VERIFIER);
        sessionStorage.setItem(
          TOKEN,
          JSON.stringify({ accessToken: result.access_token, expiresAt: Date.now() + (result.expires_in ?? 3600) * 1000 }),
        );
        history.replaceState(null, '', sessionStorage.getItem(RETURN_TO) ?? '/');
        sessionStorage.removeItem(RETURN_TO);
      }
      const token = stored();
      return token ? accountOf(token.accessToken) : undefined;
    },
    async signIn() {
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      sessionStorage.setItem(VERIFIER, verifier);
      sessionStorage.setItem(STATE, state);
      if (!sessionStorage.getItem(RETURN_TO)) sessionStorage.setItem(RETURN_TO, location.pathname + location.search);
      const url = new URL(as.authorization_endpoint!);
      url.search = new URLSearchParams({
        client_id: config.clientId,
        response_type: 'code',
        redirect_uri: redirectUri,
        scope: config.scopes.join(' '),
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      }).toString();
      location.assign(url.href);
    },
    async signOut() {
      sessionStorage.removeItem(TOKEN);
      location.assign('/');
    },
    async accessToken() {
      const token = stored();
      if (token) return token.accessToken;
      sessionStorage.setItem(RETURN_TO, location.pathname + location.search);
      await session.signIn();
      return new Promise<never>(() => {});
    },
  };
  return session;
}
