/**
 * A Zendesk Support stand-in on a real local HTTP server, answering the Tickets API calls rollcall makes with
 * bodies shaped like the reference's (connectors/zendesk/fixtures): create with Idempotency-Key (replayed for
 * `idempotencyWindowMs`, `x-idempotency-lookup: hit|miss`), list by external_id, get, update (comments keep
 * `public`, status), users/me. `holdCreate` keeps the answer to a create from being sent (the ticket exists on
 * the desk, the caller never hears so), for crash tests.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { zdList, zdMeAgent, zdTicket } from '../../connectors/zendesk/fixtures/zendesk-shapes.js';

export interface FakeTicket {
  id: number;
  subject: string;
  status: string;
  external_id: string | null;
  tags: string[];
  comments: { body: string; public: boolean }[];
}

export interface FakeZendesk {
  url: string;
  tickets: FakeTicket[];
  creates: number;
  /** While set, a create makes its ticket but never answers; resolves when the ticket was made. */
  holdCreate?: { created: () => void };
  idempotencyWindowMs: number;
  /** Answers to send before handling (status + headers), one per request, for 429/5xx tests. */
  failures: { status: number; headers?: Record<string, string>; body?: unknown }[];
  close(): Promise<void>;
}

export async function startFakeZendesk(): Promise<FakeZendesk> {
  const keys = new Map<string, { id: number; at: number }>();
  const held: ServerResponse[] = [];
  const state: FakeZendesk = {
    url: '', tickets: [], creates: 0, idempotencyWindowMs: 2 * 3600_000, failures: [],
    close: () => new Promise<void>((resolve) => {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const host = () => state.url;
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const shape = (t: FakeTicket) => zdTicket(host(), t.id, { subject: t.subject, raw_subject: t.subject, status: t.status, external_id: t.external_id, tags: t.tags });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ticket: Record<string, unknown> } : undefined;
      const fail = state.failures.shift();
      if (fail) return json(res, fail.status, fail.body ?? { error: 'Failure' }, fail.headers);
      if (req.method === 'GET' && u.pathname === '/api/v2/users/me') return json(res, 200, zdMeAgent);
      if (req.method === 'POST' && u.pathname === '/api/v2/tickets') {
        const key = req.headers['idempotency-key'] as string | undefined;
        const prior = key ? keys.get(key) : undefined;
        if (prior && Date.now() - prior.at < state.idempotencyWindowMs) {
          return json(res, 201, { ticket: shape(state.tickets.find((t) => t.id === prior.id)!) }, { 'x-idempotency-lookup': 'hit' });
        }
        const t = body!.ticket as { subject: string; external_id?: string; tags?: string[]; comment: { body: string; public?: boolean } };
        const ticket: FakeTicket = {
          id: 1000 + state.tickets.length, subject: t.subject, status: 'new', external_id: t.external_id ?? null, tags: t.tags ?? [],
          comments: [{ body: t.comment.body, public: t.comment.public ?? true }],
        };
        state.tickets.push(ticket);
        state.creates++;
        if (key) keys.set(key, { id: ticket.id, at: Date.now() });
        if (state.holdCreate) {
          held.push(res);
          state.holdCreate.created();
          return;
        }
        return json(res, 201, { ticket: shape(ticket) }, { 'x-idempotency-lookup': 'miss', location: `${host()}/api/v2/tickets/${ticket.id}.json` });
      }
      if (req.method === 'GET' && u.pathname === '/api/v2/tickets') {
        const ext = u.searchParams.get('external_id');
        return json(res, 200, zdList(state.tickets.filter((t) => t.external_id === ext).map(shape)));
      }
      const m = /^\/api\/v2\/tickets\/(\d+)(?:\.json)?$/.exec(u.pathname);
      const t = m ? state.tickets.find((x) => x.id === Number(m[1])) : undefined;
      if (m && !t) return json(res, 404, { error: 'RecordNotFound', description: 'Not found' });
      if (t && req.method === 'GET') return json(res, 200, { ticket: shape(t) });
      if (t && req.method === 'PUT') {
        const upd = body!.ticket as { status?: string; comment?: { body: string; public?: boolean } };
        if (upd.comment) {
          // Zendesk: a comment without `public` takes the first comment's visibility.
          t.comments.push({ body: upd.comment.body, public: upd.comment.public ?? t.comments[0]!.public });
        }
        if (upd.status) t.status = upd.status;
        return json(res, 200, { ticket: shape(t) });
      }
      json(res, 404, { error: 'InvalidEndpoint', description: 'Not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return state;
}
