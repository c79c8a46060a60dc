/**
 * Bytes → text for CSV exports. Districts hand us files saved by Excel, SIS report writers and PowerShell, so
 * the encoding is a config option; a BOM in the file wins over it (it is the file saying what it is). Invalid
 * bytes fail the read with file and line: decoding them as U+FFFD would quietly change names and ids (`Anaïs`
 * in a Latin-1 file would become `Ana�s`, a different person to every match that follows).
 */
import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import { SourceFormatError } from './errors.js';

/** What a CSV connector's `encoding` option accepts. Node ships full ICU, so TextDecoder knows all of these. */
export const ENCODINGS = ['utf-8', 'windows-1252', 'latin1', 'utf-16le'] as const;
export type Encoding = (typeof ENCODINGS)[number];
export const encodingSchema = z.enum(ENCODINGS).default('utf-8');

export interface DecodeOptions {
  /** File name for messages (`users.csv`). */
  name: string;
  /** Extra context for errors (the full path, when there is one). */
  context?: Record<string, unknown>;
  encoding: Encoding;
}

/**
 * Streams `bytes` as text. Holds at most one chunk: a multi-byte character split across chunks is carried by
 * the streaming decoder. Throws SourceFormatError for a file that is empty, a zip, UTF-16BE, or not valid in
 * its encoding.
 */
export async function* decodeText(bytes: AsyncIterable<Uint8Array | string>, opts: DecodeOptions): AsyncGenerator<string | Buffer> {
  const { name } = opts;
  const ctx = { file: name, ...opts.context };
  let decoder: InstanceType<typeof TextDecoder> | null = null;
  let encoding: Encoding = opts.encoding;
  let head: Uint8Array = new Uint8Array(0);
  /** Line breaks (LF) in the input passed on so far: the line an error is on is this + 1 + breaks before it. */
  let lines = 0;
  /** UTF-8 fast path: the bytes of a sequence cut by the chunk boundary, completed by the next chunk. */
  let carry: Buffer = Buffer.alloc(0);

  const invalid = (chunk: Uint8Array, at: number, e?: unknown) => {
    const line = lines + 1 + countLf(chunk, at);
    return new SourceFormatError(
      `${name}:${line}: the file is not valid ${encoding} text; if it was saved by Excel or an older SIS, ` +
        `set the source's encoding option (windows-1252, latin1 or utf-16le)`,
      { ...ctx, line, encoding }, e,
    );
  };

  /**
   * UTF-8 is checked, not decoded: csv-parse works on bytes, and handing it decoded strings made it encode every
   * chunk back (measured: 100k students + 110k devices parsed in 13.4 s that way, 9.6 s on validated bytes).
   */
  const feedUtf8 = function* (chunk: Uint8Array, final: boolean): Generator<Buffer> {
    const buf = carry.length ? Buffer.concat([carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const end = final ? buf.length : completeEnd(buf);
    const body = buf.subarray(0, end);
    carry = Buffer.from(buf.subarray(end));
    if (!isUtf8(body)) throw invalid(body, firstInvalidUtf8(body));
    if (final && carry.length) throw invalid(buf, end);
    lines += countLf(body, body.length);
    if (body.length) yield body;
  };

  const feed = function* (chunk: Uint8Array, final: boolean): Generator<string | Buffer> {
    if (encoding === 'utf-8') {
      yield* feedUtf8(chunk, final);
      return;
    }
    let text: string;
    try {
      text = decoder!.decode(chunk, { stream: !final });
    } catch (e) {
      throw invalid(chunk, 0, e);
    }
    lines += countChar(text, '\n');
    if (text !== '') yield text;
  };

  const start = (final: boolean): Generator<string | Buffer> => {
    encoding = sniff(head, encoding, name, ctx);
    decoder = new TextDecoder(encoding, { fatal: true });
    // TextDecoder drops a BOM itself; the byte path must do it by hand.
    const body = encoding === 'utf-8' && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? head.subarray(3) : head;
    return feed(body, final);
  };

  for await (const c of bytes) {
    const chunk = typeof c === 'string' ? new TextEncoder().encode(c) : c;
    if (!decoder) {
      // Wait for 4 bytes so the BOM / magic check below sees the whole signature.
      head = concat(head, chunk);
      if (head.length < 4) continue;
      yield* start(false);
      continue;
    }
    yield* feed(chunk, false);
  }
  if (!decoder) {
    if (head.length === 0) throw new SourceFormatError(`${name}: the file is empty`, ctx);
    yield* start(true);
    return;
  }
  // Flush: a multi-byte sequence cut off at the end of the file is invalid too.
  yield* feed(new Uint8Array(0), true);
}

/** Where the last complete UTF-8 sequence of `buf` ends (a lead byte near the end may wait for its tail). */
function completeEnd(buf: Buffer): number {
  for (let i = buf.length - 1, k = 0; i >= 0 && k < 4; i--, k++) {
    const x = buf[i]!;
    if ((x & 0xc0) === 0x80) continue; // continuation byte: keep looking for its lead
    const need = x < 0x80 ? 1 : x >= 0xf0 ? 4 : x >= 0xe0 ? 3 : x >= 0xc0 ? 2 : 1;
    return buf.length - i >= need ? buf.length : i;
  }
  return buf.length;
}

function sniff(head: Uint8Array, configured: Encoding, name: string, ctx: Record<string, unknown>): Encoding {
  const [a, b, c, d] = head;
  // The Intune portal hands the export over as a .zip; people point us at it before extracting.
  if (a === 0x50 && b === 0x4b && c === 0x03 && d === 0x04) {
    throw new SourceFormatError(`${name}: this is a zip archive; extract the CSV inside it and point 'path' at that`, ctx);
  }
  if (a === 0xfe && b === 0xff) {
    throw new SourceFormatError(`${name}: UTF-16 big-endian is not supported; save the export as UTF-8`, ctx);
  }
  if (a === 0xef && b === 0xbb && c === 0xbf) return 'utf-8';
  if (a === 0xff && b === 0xfe) return 'utf-16le';
  return configured;
}

/**
 * Index of the first byte that makes `bytes` invalid UTF-8 (for the error's line number). Up to three leading
 * continuation bytes are skipped: they may finish a character begun in the previous chunk.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < 3 && i < bytes.length && (bytes[i]! & 0xc0) === 0x80) i++;
  while (i < bytes.length) {
    const x = bytes[i]!;
    const n = x < 0x80 ? 0 : x >= 0xc2 && x <= 0xdf ? 1 : x >= 0xe0 && x <= 0xef ? 2 : x >= 0xf0 && x <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      // Running off the end is a sequence the next chunk may finish, not an error here.
      if (i + k >= bytes.length) return bytes.length;
      if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    }
    i += n + 1;
  }
  return bytes.length;
}

function countLf(bytes: Uint8Array, end: number): number {
  let n = 0;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(end, bytes.length));
  for (let i = b.indexOf(0x0a); i !== -1; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}

function countChar(s: string, ch: string): number {
  let n = 0;
  for (let i = s.indexOf(ch); i !== -1; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
