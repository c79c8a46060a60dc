/**
 * Clever list paging over the shared HTTP helper: follow `links[rel=next]` (a relative URI such as
 * `/v3.0/users?starting_after=<id>`) until it is absent. Retries are the shared helper's alone: network errors,
 * 5xx with backoff, and 429s waited out until Retry-After or the `X-RateLimit-Reset` Unix time Clever documents
 * (https://dev.clever.com/reference/responses-errors).
 */
import type { HttpClient, HttpResponse } from '../shared/http.js';
import { IncompleteReadError, SourceFormatError } from '../shared/errors.js';
import { nextLinkPages } from '../shared/paging.js';
import { listResponseSchema } from './api-types.js';

export interface PageOpts {
  signal: AbortSignal;
}

export interface CleverPage {
  items: unknown[];
  /** Path of the page (no query: query values are ids). */
  where: string;
}

const pathOf = (uri: string): string => uri.split('?')[0] ?? uri;

/**
 * One GET through the shared helper, which retries 429s until the time Clever names: Retry-After, or the
 * `X-RateLimit-Reset` (a Unix time) a Clever 429 may carry alone (src/http/retry.ts). A body that is not JSON
 * (Clever answers HTML to the wrong kind of token) fails with `http_bad_body`.
 */
export function getJson(http: HttpClient, uri: string, o: PageOpts): Promise<HttpResponse<unknown>> {
  return http.json<unknown>(uri, { signal: o.signal });
}

/** The `rel=next` URI of a page, or undefined. */
function nextLink(links: { rel: string; uri: string }[] | null | undefined): string | undefined {
  return links?.find((l) => l.rel === 'next')?.uri;
}

function idOf(item: unknown): string | undefined {
  const d = (item as { data?: { id?: unknown } } | null)?.data;
  return typeof d?.id === 'string' ? d.id : undefined;
}

/**
 * Pages of a Clever list, one at a time (bounded memory), through the shared next-link paging
 * (connectors/shared/paging.ts). A body that is not a Clever list, a next link that repeats, a page that repeats
 * the previous one, or a next link that does not continue after the page's last item fails the read: a full read
 * must be complete, so nothing is deactivated on a partial one.
 */
export async function* cleverPages(http: HttpClient, firstUri: string, o: PageOpts): AsyncGenerator<CleverPage> {
  const pages = nextLinkPages<unknown>(firstUri, async (uri) => {
    const res = await getJson(http, uri, o);
    const parsed = listResponseSchema.safeParse(res.body);
    if (!parsed.success) {
      throw new SourceFormatError(`${http.name}: ${pathOf(uri)} did not answer a Clever list ({data: [...], links: [...]})`, { path: pathOf(uri) });
    }
    const items = parsed.data.data;
    const next = nextLink(parsed.data.links);
    if (next !== undefined && items.length > 0) {
      const after = new URL(next, 'http://x').searchParams.get('starting_after');
      const last = idOf(items[items.length - 1]);
      if (after !== null && last !== undefined && after !== last) {
        throw new IncompleteReadError(`${http.name}: ${pathOf(uri)} next link does not continue after the page's last item`, { path: pathOf(uri) });
      }
    }
    return { items, next, url: pathOf(uri) };
  }, { label: `${http.name}: ${pathOf(firstUri)}` });
  for await (const page of pages) yield { items: page.items, where: page.url };
}
