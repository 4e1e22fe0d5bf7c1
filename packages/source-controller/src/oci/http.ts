/** Small helpers for reading registry HTTP answers within bounds. */
import type { Response } from 'undici';

/**
 * The whole body of a response, at most `limit` bytes: the stream is cancelled and `fail` is
 * thrown as soon as it grows beyond, so a hostile or broken server cannot exhaust memory.
 * Read errors are rethrown through `fail` too (an abort is rethrown as is).
 */
export async function readBounded(res: Response, limit: number, fail: (message: string, cause?: unknown) => Error, signal?: AbortSignal): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw fail(`response of ${declared} bytes exceeds the limit of ${limit} bytes`);
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        tooLarge = true;
        await reader.cancel().catch(() => undefined);
        break;
      }
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
  } catch (err) {
    signal?.throwIfAborted();
    throw fail(`reading the response failed: ${(err as Error).message}`, err);
  } finally {
    reader.releaseLock();
  }
  if (tooLarge) throw fail(`response exceeds the limit of ${limit} bytes`);
  return Buffer.concat(chunks, size);
}

/** Discards a response body we do not need, so its connection can be reused. */
export async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}
