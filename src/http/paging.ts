/**
 * Paging helpers. Each yields one page at a time (bounded memory) and, for full reads, refuses to end early:
 * a short read is an IncompleteReadError so the sync run fails instead of deactivating what it did not see.
 */
import { IncompleteReadError } from '../errors.js';
import type { HttpClient, RequestOptions } from './client.js';

export interface Page<T> {
  items: T[];
  url: string;
}

/**
 * offset/limit paging (OneRoster REST). When the server sends X-Total-Count, the number of items received
 * must match it; a page shorter than `limit` ends the read.
 */
export async function* offsetPages<T>(
  http: HttpClient,
  path: string,
  opts: RequestOptions & { limit: number; extract: (body: unknown) => T[]; maxPages?: number },
): AsyncGenerator<Page<T>> {
  let offset = 0;
  let total: number | undefined;
  let received = 0;
  for (let page = 0; page < (opts.maxPages ?? 1_000_000); page++) {
    const res = await http.json<unknown>(path, { ...opts, query: { ...opts.query, limit: opts.limit, offset } });
    const header = res.headers.get('x-total-count');
    if (header !== null && /^\d+$/.test(header.trim())) total = Number(header);
    const items = opts.extract(res.body);
    received += items.length;
    yield { items, url: res.url };
    if (items.length < opts.limit || (total !== undefined && received >= total)) break;
    offset += items.length;
  }
  if (total !== undefined && received !== total) {
    throw new IncompleteReadError(`${http.name}: ${path} promised ${total} records (X-Total-Count) but returned ${received}`, {
      client: http.name, path, expected: total, received,
    });
  }
}

/** Next-link paging: Graph's `@odata.nextLink`, or an RFC 8288 `Link: <…>; rel="next"` header. */
export async function* nextLinkPages<T>(
  http: HttpClient,
  firstUrl: string,
  opts: RequestOptions & { extract: (body: unknown) => T[]; next: (body: unknown, headers: Headers) => string | undefined },
): AsyncGenerator<Page<T>> {
  let url: string | undefined = firstUrl;
  const seen = new Set<string>();
  let first = true;
  while (url) {
    if (seen.has(url)) throw new IncompleteReadError(`${http.name}: paging loop at ${url}`, { client: http.name });
    seen.add(url);
    // The next link already carries the query; only the first request takes the caller's.
    const res: Awaited<ReturnType<HttpClient['json']>> = await http.json<unknown>(url, first ? opts : { ...opts, query: undefined });
    first = false;
    yield { items: opts.extract(res.body), url: res.url };
    url = opts.next(res.body, res.headers);
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

/** Page-token paging (Google: `pageToken` in, `nextPageToken` out). */
export async function* pageTokenPages<T>(
  fetchPage: (pageToken: string | undefined) => Promise<{ items: T[]; nextPageToken?: string | null; url?: string }>,
): AsyncGenerator<Page<T>> {
  let token: string | undefined;
  const seen = new Set<string>();
  do {
    const page = await fetchPage(token);
    yield { items: page.items, url: page.url ?? '' };
    token = page.nextPageToken ?? undefined;
    if (token !== undefined) {
      if (seen.has(token)) throw new IncompleteReadError('page token repeated: the upstream is looping', { token: '[repeated]' });
      seen.add(token);
    }
  } while (token);
}
