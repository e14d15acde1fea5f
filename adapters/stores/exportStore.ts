/**
 * CSV exports (RFC 4180, UTF-8 with a byte-order mark so spreadsheets read accents right) written as they
 * are produced into Blob storage — container `exports`, one folder per tenant — and handed out as a
 * short-lived read-only SAS link. Rows stream from the source through csv-stringify into a block upload,
 * so a 100k-row export holds a few blocks in memory, never the file. The link is signed with the account key
 * when there is one (a connection string, Azurite), else with a user delegation key the app's identity asks
 * the account for (Storage Blob Data Owner or Contributor allows it).
 */
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { PassThrough, Readable } from 'node:stream';
import {
  BlobSASPermissions,
  StorageSharedKeyCredential,
  type BlobServiceClient,
  type BlockBlobClient,
  type UserDelegationKey,
} from '@azure/storage-blob';
import { stringify } from 'csv-stringify';
import { safeCell, type Cell } from '../../core/spreadsheet.js';
import { tenantKey } from './keys.js';
import { blobService, container } from './storageClients.js';

/** How long an export link works. */
export const EXPORT_LINK_MINUTES = 15;
/** Exports are deleted after this (the retention timer sweeps them). */
export const EXPORT_KEEP_MS = 24 * 3_600_000;
const BLOCK_BYTES = 4 * 1024 * 1024;
/** A user delegation key is asked for this long (the service allows up to 7 days) and reused while it lasts. */
const DELEGATION_KEY_MS = 6 * 3_600_000;
/** Storage's clock and ours may differ: a key and link valid from a little earlier work at once. */
const CLOCK_SKEW_MS = 5 * 60_000;

const exports = () => container('exports');

export interface Export {
  /** Where to download it (expires after EXPORT_LINK_MINUTES). */
  url: string;
  rows: number;
  expiresAt: string;
}

/**
 * Writes `rows` under `header` as `fileName` for the tenant and returns its link. A row's text cells are
 * neutralised against formula injection (core/spreadsheet).
 */
export async function exportCsv(tenantId: string, fileName: string, header: string[], rows: AsyncIterable<Cell[]>): Promise<Export> {
  const blob = (await exports()).getBlockBlobClient(`${tenantKey(tenantId)}/${randomUUID()}/${fileName}`);
  let count = 0;
  const csv = stringify({
    bom: true,
    header: true,
    columns: header,
    record_delimiter: 'windows',
    // csv-stringify quotes a field holding the record delimiter (CRLF) but not a bare LF or CR; RFC 4180 wants both quoted.
    quoted_match: /[\r\n]/,
  });
  const body = new PassThrough();
  const source = Readable.from(
    (async function* () {
      for await (const row of rows) {
        count++;
        yield row.map(safeCell);
      }
    })(),
  );
  await Promise.all([
    pipeline(source, csv, body),
    blob.uploadStream(body, BLOCK_BYTES, 2, {
      blobHTTPHeaders: {
        blobContentType: 'text/csv; charset=utf-8',
        blobContentDisposition: `attachment; filename="${fileName}"`,
        blobCacheControl: 'private, no-store',
      },
    }),
  ]);
  const expiresOn = new Date(Date.now() + EXPORT_LINK_MINUTES * 60_000);
  return { url: await readLink(blob, expiresOn), rows: count, expiresAt: expiresOn.toISOString() };
}

type KeySource = Pick<BlobServiceClient, 'getUserDelegationKey'>;
let delegationKey: Promise<UserDelegationKey> | undefined;

/** A key that signs links until at least `until`: the one asked for earlier while it lasts, else a new one. */
async function userDelegationKey(service: KeySource, until: Date): Promise<UserDelegationKey> {
  const cached = await delegationKey?.catch(() => undefined);
  if (cached && new Date(cached.signedExpiresOn).getTime() > until.getTime()) return cached;
  const startsOn = new Date(Date.now() - CLOCK_SKEW_MS);
  const asked: Promise<UserDelegationKey> = service.getUserDelegationKey(startsOn, new Date(Date.now() + DELEGATION_KEY_MS));
  delegationKey = asked;
  return asked;
}

/** A read-only link to the blob until `expiresOn`: signed with the account key when the client has it. */
export async function readLink(blob: BlockBlobClient, expiresOn: Date, service?: KeySource): Promise<string> {
  const options = { permissions: BlobSASPermissions.parse('r'), startsOn: new Date(Date.now() - CLOCK_SKEW_MS), expiresOn };
  if (blob.credential instanceof StorageSharedKeyCredential) return blob.generateSasUrl(options);
  return blob.generateUserDelegationSasUrl(options, await userDelegationKey(service ?? blobService(), expiresOn));
}

/** Deletes exports older than EXPORT_KEEP_MS; returns how many. */
export async function sweepExports(): Promise<number> {
  let deleted = 0;
  const c = await exports();
  // Blob times are storage's real time, whatever the app clock says (the test clock runs ahead of it).
  const now = Date.now();
  for await (const b of c.listBlobsFlat()) {
    if ((b.properties.createdOn?.getTime() ?? now) > now - EXPORT_KEEP_MS) continue;
    await c.deleteBlob(b.name, { deleteSnapshots: 'include' }).catch(() => undefined);
    deleted++;
  }
  return deleted;
}
