import { AzureNamedKeyCredential } from '@azure/data-tables';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { BlockBlobClient, StorageSharedKeyCredential, type UserDelegationKey } from '@azure/storage-blob';
import { describe, expect, test, vi } from 'vitest';
import { storageSettings } from '../../../../adapters/runtime/settings.js';
import { readLink } from '../../../../adapters/stores/exportStore.js';
import { blobServiceFor, queueClientFor, tableClientFor } from '../../../../adapters/stores/storageClients.js';

const IDENTITY = '5b1f1d5e-8f0c-4c4f-9d64-6f1a2b3c4d5e';
const DEPLOYED = storageSettings({
  AzureWebJobsStorage__accountName: 'stherald42',
  AzureWebJobsStorage__credential: 'managedidentity',
  AzureWebJobsStorage__clientId: IDENTITY,
});
const AZURITE = storageSettings({
  AzureWebJobsStorage:
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1',
});

/** The credential a client signs its requests with (the SDKs keep it to themselves). */
const credentialOf = (client: object) => (client as { credential?: unknown }).credential;

describe('storage clients', () => {
  test('with only the account name: the account’s endpoints and the managed identity, no key', () => {
    const table = tableClientFor(DEPLOYED, 'messages');
    expect(table.url).toBe('https://stherald42.table.core.windows.net');
    expect(table.tableName).toBe('messages');
    expect(credentialOf(table)).toBeInstanceOf(ManagedIdentityCredential);

    const blobs = blobServiceFor(DEPLOYED);
    expect(blobs.url).toBe('https://stherald42.blob.core.windows.net/');
    expect(credentialOf(blobs)).toBeInstanceOf(ManagedIdentityCredential);

    const queue = queueClientFor(DEPLOYED, 'resolve-audience');
    expect(queue.url).toBe('https://stherald42.queue.core.windows.net/resolve-audience');
    expect(credentialOf(queue)).toBeInstanceOf(ManagedIdentityCredential);
    // One identity, one credential: its token cache is shared by every client.
    expect(credentialOf(queue)).toBe(credentialOf(table));
  });

  test('without __credential=managedidentity: DefaultAzureCredential (a developer signed in with the Azure CLI)', () => {
    const developer = storageSettings({ AzureWebJobsStorage__accountName: 'stherald42' });
    expect(credentialOf(tableClientFor(developer, 'messages'))).toBeInstanceOf(DefaultAzureCredential);
  });

  test('with a connection string (Azurite): its endpoints and its account key', () => {
    const table = tableClientFor(AZURITE, 'messages');
    expect(table.url).toBe('http://127.0.0.1:10002/devstoreaccount1');
    expect(credentialOf(table)).toBeInstanceOf(AzureNamedKeyCredential);
    expect(credentialOf(blobServiceFor(AZURITE))).toBeInstanceOf(StorageSharedKeyCredential);
    expect(queueClientFor(AZURITE, 'resolve-audience').url).toBe('http://127.0.0.1:10001/devstoreaccount1/resolve-audience');
  });
});

describe('export links', () => {
  const expiresOn = new Date(Date.now() + 15 * 60_000);

  test('without an account key: a user delegation SAS, from a key asked for once and reused', async () => {
    const key: UserDelegationKey = {
      signedObjectId: '0a0a0a0a-0000-4000-8000-000000000001',
      signedTenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      signedStartsOn: new Date(Date.now() - 60_000),
      signedExpiresOn: new Date(Date.now() + 6 * 3_600_000),
      signedService: 'b',
      signedVersion: '2025-01-05',
      value: Buffer.from('a user delegation key, not a real one').toString('base64'),
    };
    const service = { getUserDelegationKey: vi.fn(async () => key) };
    const blob = new BlockBlobClient(
      'https://stherald42.blob.core.windows.net/exports/t/1/recipients.csv',
      credentialOf(blobServiceFor(DEPLOYED)) as ManagedIdentityCredential,
    );
    const url = new URL(await readLink(blob, expiresOn, service as never));
    expect(`${url.origin}${url.pathname}`).toBe('https://stherald42.blob.core.windows.net/exports/t/1/recipients.csv');
    expect(Object.fromEntries([...url.searchParams].filter(([k]) => ['sp', 'sr', 'skoid', 'sktid'].includes(k)))).toEqual({
      sp: 'r',
      sr: 'b',
      skoid: key.signedObjectId,
      sktid: key.signedTenantId,
    });
    expect(url.searchParams.get('sig')).toBeTruthy();
    await readLink(blob, expiresOn, service as never);
    expect(service.getUserDelegationKey).toHaveBeenCalledTimes(1);
  });

  test('with the account key: a service SAS signed with it, no delegation key', async () => {
    const blob = blobServiceFor(AZURITE).getContainerClient('exports').getBlockBlobClient('t/1/recipients.csv');
    const service = { getUserDelegationKey: vi.fn() };
    const url = new URL(await readLink(blob, expiresOn, service as never));
    expect(url.searchParams.get('sp')).toBe('r');
    expect(url.searchParams.has('skoid')).toBe(false);
    expect(service.getUserDelegationKey).not.toHaveBeenCalled();
  });
});
