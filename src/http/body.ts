// Reading a request body from uWS, bounded: more than `limit` bytes is a 413, decided from
// Content-Length up front when the client sends one, or while streaming when it does not.
import type { HttpResponse } from 'uWebSockets.js';
import { GlinerError } from '../errors.js';
import type { HeaderBag } from './context.js';

export function checkDeclaredLength(headers: HeaderBag, limit: number): void {
  const declared = headers.get('content-length');
  if (declared !== undefined && Number(declared) > limit) {
    throw new GlinerError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes.`);
  }
}

export function checkJsonContentType(headers: HeaderBag): void {
  const type = headers.get('content-type');
  if (type === undefined || !/^application\/json\s*(;|$)/i.test(type.trim())) {
    throw new GlinerError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json.');
  }
}

/** Collect the body; rejects with PAYLOAD_TOO_LARGE as soon as it passes `limit`. */
export function readBody(res: HttpResponse, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    res.onData((chunk, isLast) => {
      if (failed) return;
      size += chunk.byteLength;
      if (size > limit) {
        failed = true;
        reject(new GlinerError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes.`));
        return;
      }
      // uWS reuses the chunk's memory after this callback returns: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk)));
      if (isLast) resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
  });
}
