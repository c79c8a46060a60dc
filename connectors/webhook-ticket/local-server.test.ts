/**
 * webhook-ticket against a real HTTP server on 127.0.0.1 (allowInsecure + allowPrivateNetwork, as for a local
 * receiver): the bytes on the wire verify with `standardwebhooks`, and a receiver that made the ticket but whose
 * answer never arrived (socket destroyed) gets the same key again and keeps one ticket.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../src/errors.js';
import { createSinkCtx } from '../../src/sync/connector-ctx.js';
import type { Ctx, TicketSink } from '../types.js';
import { configSchema, webhookTicket, type WebhookTicketConfig } from './index.js';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const tickets = new Map<string, string>();
const verified: string[] = [];
let dropNext = false;
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/moved') {
      res.writeHead(302, { location: '/tickets' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      try {
        new Webhook(SECRET).verify(raw, req.headers as Record<string, string>);
      } catch {
        res.writeHead(401).end('bad signature');
        return;
      }
      verified.push(String(req.headers['webhook-id']));
      const msg = JSON.parse(raw) as { data: { idempotencyKey: string } };
      const key = msg.data.idempotencyKey;
      if (!tickets.has(key)) tickets.set(key, `T-${tickets.size + 1}`);
      if (dropNext) {
        dropNext = false;
        req.socket.destroy();
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ externalId: tickets.get(key) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tickets`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function ctxFor(): Ctx<WebhookTicketConfig> {
  const settings = configSchema.parse({ url, secret: SECRET, allowInsecure: true, allowPrivateNetwork: true });
  return createSinkCtx({ id: 'local', kind: 'webhook-ticket', sink: webhookTicket as TicketSink<unknown>, settings }, pino({ level: 'silent' }), new AbortController().signal) as Ctx<WebhookTicketConfig>;
}

describe('webhook-ticket to a local receiver', () => {
  it('signed bytes verify on the wire; a lost answer and a re-send keep one ticket', async () => {
    const draft = { title: 'Collect device', body: 'Withdrawn; holds 5CD1234XYZ — “quoted” text', severity: 'high' as const, rule: 'withdrawn-with-device', subjectKey: 'person:s-1' };
    dropNext = true;
    const lost = await webhookTicket.open(ctxFor(), draft, 'withdrawn-with-device:person:s-1:1').then(() => null, (e: unknown) => e);
    expect(lost).toBeInstanceOf(HttpError);
    expect((lost as HttpError).retryable).toBe(true);
    const again = await webhookTicket.open(ctxFor(), draft, 'withdrawn-with-device:person:s-1:1');
    expect(again).toEqual({ externalId: 'T-1' });
    expect(tickets.size).toBe(1);
    expect(verified).toEqual(['withdrawn-with-device:person:s-1:1', 'withdrawn-with-device:person:s-1:1']);
  });

  it('a redirect is refused, not followed (credentials and ticket text stay with the configured URL)', async () => {
    const before = verified.length;
    const settings = configSchema.parse({ url: url.replace('/tickets', '/moved'), secret: SECRET, allowInsecure: true, allowPrivateNetwork: true });
    const ctx = createSinkCtx({ id: 'local', kind: 'webhook-ticket', sink: webhookTicket as TicketSink<unknown>, settings }, pino({ level: 'silent' }), new AbortController().signal) as Ctx<WebhookTicketConfig>;
    const e = await webhookTicket.comment(ctx, 'T-1', 'note').then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(HttpError);
    expect(e).toMatchObject({ retryable: false, httpStatus: 302 });
    expect((e as HttpError).message).toContain('redirects are refused');
    expect(verified.length).toBe(before);
  });
});
