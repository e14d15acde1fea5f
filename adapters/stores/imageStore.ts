/**
 * Message images and icons in Blob storage (container `message-images`, one folder per tenant and message),
 * checked for type and size before they are stored: the bytes must be the image type they claim to be.
 */
import { randomUUID } from 'node:crypto';
import { container } from './storageClients.js';

export const MAX_IMAGE_BYTES = 1024 * 1024;

/** Accepted types and the leading bytes each must start with (SVG is refused: it can carry script). */
const SIGNATURES: Record<string, (b: Buffer) => boolean> = {
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/gif': (b) => /^GIF8[79]a/.test(b.subarray(0, 6).toString('latin1')),
  'image/webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
};
export const IMAGE_TYPES = Object.keys(SIGNATURES);

export interface StoredImage {
  blob: string;
  contentType: string;
  size: number;
}

/** Why these bytes are not an acceptable image, or undefined when they are. */
export function imageProblem(bytes: Buffer, contentType: string): string | undefined {
  const check = SIGNATURES[contentType];
  if (!check) return `must be one of ${IMAGE_TYPES.join(', ')}`;
  if (bytes.length === 0) return 'is empty';
  if (bytes.length > MAX_IMAGE_BYTES) return `must be at most ${MAX_IMAGE_BYTES} bytes`;
  if (!check(bytes)) return `is not a ${contentType} file (it starts with ${bytes.subarray(0, 8).toString('hex')})`;
  return undefined;
}

const images = () => container('message-images');

const blobName = (tenant: string, messageId: string) => `${tenant}/${messageId}/${randomUUID()}`;
/** A blob belongs to a tenant's message only if its name says so: a stored name is never trusted across tenants. */
const owned = (tenant: string, messageId: string, blob: string) => blob.startsWith(`${tenant}/${messageId}/`);

export async function putImage(tenant: string, messageId: string, bytes: Buffer, contentType: string): Promise<StoredImage> {
  const blob = blobName(tenant, messageId);
  await (await images()).getBlockBlobClient(blob).uploadData(bytes, { blobHTTPHeaders: { blobContentType: contentType } });
  return { blob, contentType, size: bytes.length };
}

export async function getImage(tenant: string, messageId: string, image: StoredImage): Promise<Buffer | undefined> {
  if (!owned(tenant, messageId, image.blob)) return undefined;
  return (await images()).getBlockBlobClient(image.blob).downloadToBuffer();
}

/** A copied message gets its own copy of the image, so deleting one never breaks the other. */
export async function copyImage(
  tenant: string,
  fromMessageId: string,
  toMessageId: string,
  image: StoredImage,
): Promise<StoredImage | undefined> {
  const bytes = await getImage(tenant, fromMessageId, image);
  return bytes ? putImage(tenant, toMessageId, bytes, image.contentType) : undefined;
}

export async function deleteImage(tenant: string, messageId: string, image: StoredImage): Promise<void> {
  if (owned(tenant, messageId, image.blob)) await (await images()).deleteBlob(image.blob).catch(() => undefined);
}
