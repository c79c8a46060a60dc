/**
 * Node preload for end-to-end tests (`NODE_OPTIONS=--import <this file>`): google-auth-library's token URL and
 * the Directory API host are fixed in the client libraries, so instead of test-only options in the product,
 * this routes https://oauth2.googleapis.com and https://admin.googleapis.com to the local fake at
 * ROLLCALL_TEST_GOOGLE_URL (path and query kept), with msw's setupServer forwarding through `bypass`.
 * Every other request passes through untouched. Never loaded by the product.
 */
/* global process, URL, fetch, Request -- a plain Node preload, outside the TypeScript build */
import { bypass, http } from 'msw';
import { setupServer } from 'msw/node';

// A test preload, not product code: the environment is how the test hands it the fake's address.
// eslint-disable-next-line no-restricted-properties
const target = process.env.ROLLCALL_TEST_GOOGLE_URL;
if (target) {
  const server = setupServer(
    http.all(/^https:\/\/(oauth2|admin)\.googleapis\.com\//, async ({ request }) => {
      const from = new URL(request.url);
      const to = new URL(from.pathname + from.search, target);
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
      return fetch(bypass(new Request(to, { method: request.method, headers: request.headers, body })));
    }),
  );
  server.listen({ onUnhandledRequest: 'bypass' });
}
