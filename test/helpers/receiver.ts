/** A real local HTTP server that records what it receives and answers from a script (status, headers). */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string };

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Answers used in order; when empty, `fallback` answers. */
  answers: Answer[];
  fallback: Answer;
  /** Answers by request, before `answers` and `fallback` (undefined: fall through to them). */
  route?: (r: Received) => Answer | undefined;
  close(): Promise<void>;
}

export async function startReceiver(onRequest?: (r: Received) => void): Promise<Receiver> {
  // eslint-disable-next-line prefer-const -- assigned once the server listens; the handler reads it later
  let out: Receiver;
  const state = { received: [] as Received[], answers: [] as Answer[], fallback: { status: 204 } as Answer };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      state.received.push(r);
      onRequest?.(r);
      const a = out.route?.(r) ?? state.answers.shift() ?? state.fallback;
      res.writeHead(a.status, a.headers);
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  out = {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    get received() { return state.received; },
    get answers() { return state.answers; },
    set answers(v) { state.answers = v; },
    get fallback() { return state.fallback; },
    set fallback(v) { state.fallback = v; },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  } as Receiver;
  return out;
}
