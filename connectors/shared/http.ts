/** The HTTP client type connectors receive in `ctx.http`, re-exported so vendor folders need nothing from src/. */
export type { HttpClient, HttpResponse, RequestOptions } from '../../src/http/client.js';
