/**
 * The browsable API reference at /docs: Swagger UI over /openapi.json, served from this process. The viewer's
 * script and stylesheet come from the swagger-ui-dist package, never from a CDN: a district network may have no
 * route to one, and an admin page that loads third-party script on every visit tells that third party who opens
 * it and when. The page's own start-up is an external file too, so the Content-Security-Policy allows script from
 * this origin only.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Hono, Env } from 'hono';
import { NotFoundError } from '../errors.js';

const dist = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The files the page needs; nothing else under the package is served. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** Starts the viewer on /openapi.json; validatorUrl: null keeps it from sending the document to an online validator. */
const INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json', dom_id: '#reference', deepLinking: true, validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout', persistAuthorization: false,
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rollcall API</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<noscript>The reference needs JavaScript. The document itself is at <a href="/openapi.json">/openapi.json</a>.</noscript>
<div id="reference"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

/** Swagger UI sets inline styles and shows schema images as data: URIs; everything else is this origin. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function mountReferencePage<E extends Env>(app: Hono<E>): void {
  const cache = new Map<string, Buffer>();
  app.get('/docs', (c) => {
    c.header('Content-Security-Policy', CSP);
    return c.html(PAGE);
  });
  app.get('/docs/assets/:file', async (c) => {
    const file = c.req.param('file');
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    if (file === 'init.js') {
      c.header('Content-Type', 'text/javascript; charset=utf-8');
      return c.body(INIT);
    }
    const type = ASSETS[file];
    if (!type) throw new NotFoundError(`no reference asset "${file}"`, { file });
    let body = cache.get(file);
    if (!body) {
      body = await readFile(path.join(dist, file));
      cache.set(file, body);
    }
    // The bundle is 1.5 MB: browsers keep it for a day rather than fetching it on every visit.
    c.header('Cache-Control', 'public, max-age=86400');
    c.header('Content-Type', type);
    return c.body(new Uint8Array(body));
  });
}
