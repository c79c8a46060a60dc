/**
 * Bytes → text for CSV exports. Districts hand us files saved by Excel, SIS report writers and PowerShell, so
 * the encoding is a config option; a BOM in the file wins over it (it is the file saying what it is). Invalid
 * bytes fail the read with file and line: decoding them as U+FFFD would quietly change names and ids (`Anaïs`
 * in a Latin-1 file would become `Ana�s`, a different person to every match that follows).
 */
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
export async function* decodeText(bytes: AsyncIterable<Uint8Array | string>, opts: DecodeOptions): AsyncGenerator<string> {
  const { name } = opts;
  const ctx = { file: name, ...opts.context };
  let decoder: InstanceType<typeof TextDecoder> | null = null;
  let encoding: Encoding = opts.encoding;
  let head: Uint8Array = new Uint8Array(0);
  /** Line breaks (LF) in the text decoded so far: the line an error is on is this + 1 + breaks before it. */
  let lines = 0;

  const feed = function* (chunk: Uint8Array, final: boolean): Generator<string> {
    let text: string;
    try {
      text = decoder!.decode(chunk, { stream: !final });
    } catch (e) {
      const at = encoding === 'utf-8' ? firstInvalidUtf8(chunk) : 0;
      const line = lines + 1 + countLf(chunk, at);
      throw new SourceFormatError(
        `${name}:${line}: the file is not valid ${encoding} text; if it was saved by Excel or an older SIS, ` +
          `set the source's encoding option (windows-1252, latin1 or utf-16le)`,
        { ...ctx, line, encoding }, e,
      );
    }
    lines += countChar(text, '\n');
    if (text !== '') yield text;
  };

  for await (const c of bytes) {
    const chunk = typeof c === 'string' ? new TextEncoder().encode(c) : c;
    if (!decoder) {
      // Wait for 4 bytes so the BOM / magic check below sees the whole signature.
      head = concat(head, chunk);
      if (head.length < 4) continue;
      encoding = sniff(head, encoding, name, ctx);
      decoder = new TextDecoder(encoding, { fatal: true });
      yield* feed(head, false);
      continue;
    }
    yield* feed(chunk, false);
  }
  if (!decoder) {
    if (head.length === 0) throw new SourceFormatError(`${name}: the file is empty`, ctx);
    encoding = sniff(head, encoding, name, ctx);
    decoder = new TextDecoder(encoding, { fatal: true });
    yield* feed(head, true);
    return;
  }
  // Flush: a multi-byte sequence cut off at the end of the file is invalid too.
  yield* feed(new Uint8Array(0), true);
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
  for (let i = 0; i < end && i < bytes.length; i++) if (bytes[i] === 0x0a) n++;
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
