/**
 * The one set of paging helpers every connector uses. Each yields one page at a time (bounded memory) and, for
 * full reads, refuses to end early or loop: a short or looping read is an IncompleteReadError, so the sync run
 * fails instead of deactivating what it did not see.
 *
 * Each helper takes the page fetch as a function (a connector fetches through ctx.http, the Graph SDK or the
 * Google client), so the paging rules live here once: offset/limit (OneRoster), next links (Clever, Graph,
 * RFC 8288 Link headers) and page tokens (Google).
 */
import { IncompleteReadError } from '../errors.js';
import type { HttpClient, RequestOptions } from './client.js';

export interface Page<T> {
  items: T[];
  url: string;
}

/** The identity of an item for the repeat guard: `sourcedId`, `id`, `deviceId`, Clever's `{data:{id}}`, else its JSON. */
export function defaultIdOf(item: unknown): unknown {
  if (item && typeof item === 'object') {
    const o = item as Record<string, unknown>;
    for (const k of ['sourcedId', 'id', 'deviceId']) if (typeof o[k] === 'string' || typeof o[k] === 'number') return o[k];
    const d = o.data as Record<string, unknown> | undefined;
    if (d && typeof d === 'object' && (typeof d.id === 'string' || typeof d.id === 'number')) return d.id;
  }
  return JSON.stringify(item);
}

/**
 * Refuses a page that repeats the one before it, item for item (a server that ignores offset, a next link or
 * token that hands back the same page under another name). Without it a read would loop, or count the same
 * records twice and reach its total while missing others.
 */
export class RepeatGuard<T> {
  private previous: unknown[] | undefined;
  constructor(private readonly label: string, private readonly idOf: (item: T) => unknown = defaultIdOf) {}
  check(items: T[], where: string): void {
    const ids = items.map(this.idOf);
    const prev = this.previous;
    if (prev && ids.length > 0 && ids.length === prev.length && ids.every((id, i) => id !== undefined && id === prev[i])) {
      throw new IncompleteReadError(`${this.label}: ${where} repeats the previous page; the server is not advancing`, { label: this.label, where });
    }
    this.previous = ids;
  }
}

export interface OffsetFetched<T> {
  items: T[];
  /** The server's total for the query (OneRoster X-Total-Count), when it sends one. */
  total?: number;
  url: string;
}

export interface OffsetOptions<T> {
  /** The page size asked for; the server may cap it lower (the first page's length is then the real step). */
  limit: number;
  /** Pages in flight at once; only used when the first page brings a total (the offsets are then known). */
  concurrency?: number;
  maxPages?: number;
  /** Names the read in errors (a path such as `/users`). */
  label: string;
  idOf?: (item: T) => unknown;
}

export interface OffsetPage<T> extends Page<T> {
  offset: number;
}

/**
 * offset/limit paging, complete or throws. It never stops at a short page (servers cap `limit` below what was
 * asked): it stops at an empty page, or once the server's total has arrived. A page that repeats the previous
 * one fails; so does a count that disagrees with the total.
 *
 * When the first page brings a total and `concurrency` > 1, its length is the server's real page size and the
 * remaining pages are fetched `concurrency` at a time at offsets of that step (yielded in order); each must then
 * be exactly full (the last one: the remainder), else the data moved during the read and it fails. Otherwise the
 * pages are read one after another, one request ahead of the consumer.
 */
export async function* offsetPaging<T>(
  fetchAt: (offset: number, limit: number) => Promise<OffsetFetched<T>>, opts: OffsetOptions<T>,
): AsyncGenerator<OffsetPage<T>> {
  const { label, limit } = opts;
  const maxPages = opts.maxPages ?? 1_000_000;
  const concurrency = opts.concurrency ?? 1;
  const guard = new RepeatGuard<T>(label, opts.idOf);
  type Fetched = OffsetFetched<T> & { offset: number };
  const at = async (offset: number): Promise<Fetched> => ({ ...(await fetchAt(offset, limit)), offset });
  const inFlight: Promise<Fetched>[] = [];
  let total: number | undefined;
  let received = 0;
  const out = (p: Fetched): OffsetPage<T> => ({ items: p.items, offset: p.offset, url: p.url });
  const tooMany = () => new IncompleteReadError(`${label}: more than ${maxPages} pages`, { label });
  try {
    const first = await at(0);
    total = first.total;
    if (first.items.length === 0) {
      // nothing to read (or a total that is not 0: checked below)
    } else if (total !== undefined && concurrency > 1) {
      const step = first.items.length;
      const promised = total;
      let nextOffset = step;
      const fill = () => {
        while (inFlight.length < concurrency && nextOffset < promised) {
          if (nextOffset / step >= maxPages) throw tooMany();
          inFlight.push(at(nextOffset));
          nextOffset += step;
        }
      };
      guard.check(first.items, 'the page at offset 0');
      received = step;
      fill();
      yield out(first);
      while (inFlight.length > 0) {
        const page = await inFlight.shift()!;
        if (page.total !== undefined) total = page.total;
        const expected = Math.min(step, promised - page.offset);
        if (page.items.length !== expected) {
          throw new IncompleteReadError(
            `${label}: the page at offset ${page.offset} returned ${page.items.length} records where ${expected} were expected (the data changed during the read, or the server's page size did)`,
            { label, offset: page.offset, expected, received: page.items.length },
          );
        }
        guard.check(page.items, `the page at offset ${page.offset}`);
        received += page.items.length;
        fill();
        yield out(page);
      }
    } else {
      let page: Fetched | undefined = first;
      for (let n = 1; page; n++) {
        if (page.total !== undefined) total = page.total;
        if (page.items.length === 0) break;
        guard.check(page.items, `the page at offset ${page.offset}`);
        received += page.items.length;
        const done = total !== undefined && received >= total;
        if (!done) {
          if (n >= maxPages) throw tooMany();
          inFlight.push(at(page.offset + page.items.length));
        }
        yield out(page);
        page = inFlight.length > 0 ? await inFlight.shift()! : undefined;
      }
    }
  } finally {
    // A consumer that stopped early, or a failed read, must not leave a rejected prefetch unhandled.
    for (const p of inFlight.splice(0)) p.catch(() => undefined);
  }
  if (total !== undefined && received !== total) {
    throw new IncompleteReadError(`${label}: X-Total-Count promised ${total} records but ${received} arrived`, { label, expected: total, received });
  }
}

/** X-Total-Count as a number, or undefined when absent or not a count. */
export function totalCountOf(headers: Headers): number | undefined {
  const h = headers.get('x-total-count');
  return h !== null && /^\d+$/.test(h.trim()) ? Number(h) : undefined;
}

/** offsetPaging over the shared HTTP client: `limit`/`offset` query parameters, X-Total-Count as the total. */
export function offsetPages<T>(
  http: HttpClient,
  path: string,
  opts: RequestOptions & { limit: number; extract: (body: unknown) => T[]; maxPages?: number; concurrency?: number; idOf?: (item: T) => unknown },
): AsyncGenerator<OffsetPage<T>> {
  const { limit, extract, maxPages, concurrency, idOf, ...req } = opts;
  return offsetPaging(async (offset) => {
    const res = await http.json<unknown>(path, { ...req, query: { ...req.query, limit, offset } });
    return { items: extract(res.body), total: totalCountOf(res.headers), url: res.url };
  }, { limit, maxPages, concurrency, idOf, label: `${http.name}: ${path}` });
}

export interface LinkedPage<T> {
  items: T[];
  /** The next page's URL, or undefined on the last page. */
  next?: string;
  url?: string;
}

/**
 * Next-link paging (Graph's `@odata.nextLink`, Clever's `links[rel=next]`, an RFC 8288 Link header): follows
 * the link verbatim until it is absent. A link seen before, or a page repeating the previous one, fails the read.
 */
export async function* nextLinkPages<T>(
  first: string, fetchPage: (url: string, n: number) => Promise<LinkedPage<T>>,
  opts: { label: string; idOf?: (item: T) => unknown; maxPages?: number },
): AsyncGenerator<Page<T> & { n: number }> {
  const seen = new Set<string>();
  const guard = new RepeatGuard<T>(opts.label, opts.idOf);
  let url: string | undefined = first;
  for (let n = 1; url !== undefined; n++) {
    if (n > (opts.maxPages ?? 1_000_000)) throw new IncompleteReadError(`${opts.label}: more than ${opts.maxPages} pages`, { label: opts.label });
    seen.add(url);
    const page: LinkedPage<T> = await fetchPage(url, n);
    guard.check(page.items, `page ${n}`);
    yield { items: page.items, url: page.url ?? url, n };
    if (page.next !== undefined && seen.has(page.next)) {
      throw new IncompleteReadError(`${opts.label}: page ${n} links to a page already read; the list would loop`, { label: opts.label, page: n });
    }
    url = page.next;
  }
}

export function linkHeaderNext(headers: Headers): string | undefined {
  const link = headers.get('link');
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part.trim());
    if (m) return m[1];
  }
  return undefined;
}

/** Page-token paging (Google: `pageToken` in, `nextPageToken` out); a token given twice fails the read. */
export async function* pageTokenPages<T>(
  fetchPage: (pageToken: string | undefined, n: number) => Promise<{ items: T[]; nextPageToken?: string | null; url?: string }>,
  opts: { label?: string; idOf?: (item: T) => unknown } = {},
): AsyncGenerator<Page<T> & { n: number }> {
  const label = opts.label ?? 'page-token list';
  const guard = new RepeatGuard<T>(label, opts.idOf);
  let token: string | undefined;
  const seen = new Set<string>();
  let n = 0;
  do {
    n++;
    const page = await fetchPage(token, n);
    guard.check(page.items, `page ${n}`);
    yield { items: page.items, url: page.url ?? '', n };
    token = page.nextPageToken || undefined;
    if (token !== undefined) {
      if (seen.has(token)) throw new IncompleteReadError(`${label}: page token repeated: the upstream is looping`, { label, token: '[repeated]' });
      seen.add(token);
    }
  } while (token);
}
