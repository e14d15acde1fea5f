/**
 * The Entra credentials Herald reaches Azure with when no key is supplied: storage as the Functions host
 * reaches it (`AzureWebJobsStorage__credential`, `__clientId`), and ACS and Graph's federated credential as
 * the app's identity (`AZURE_CLIENT_ID`). On Azure that is the user-assigned managed identity; on a
 * developer's machine DefaultAzureCredential (environment, then the Azure CLI sign-in).
 */
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { identitySettings, storageSettings } from './settings.js';

const credentials = new Map<string, TokenCredential>();

/** One credential per identity for the process: each keeps its own token cache. */
export function credentialFor(managedIdentity: boolean, clientId: string | undefined): TokenCredential {
  const key = `${managedIdentity}|${clientId ?? ''}`;
  let credential = credentials.get(key);
  if (!credential) {
    credential = managedIdentity
      ? new ManagedIdentityCredential(clientId ? { clientId } : {})
      : new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
    credentials.set(key, credential);
  }
  return credential;
}

/** The credential for the storage account named by `AzureWebJobsStorage__accountName`. */
export function storageCredential(): TokenCredential {
  const s = storageSettings();
  if (s.kind !== 'identity')
    throw new Error('AzureWebJobsStorage is a connection string: storage is reached with its key, not a credential');
  return credentialFor(s.managedIdentity, s.clientId);
}

/** The app's own identity, for ACS email and the Graph client assertion. */
export function appCredential(): TokenCredential {
  const s = identitySettings();
  return credentialFor(s.managedIdentity, s.clientId);
}
