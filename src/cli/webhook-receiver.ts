/**
 * `rollcall webhook-receiver [--endpoint ID] [--port N]`: a local receiver for trying webhooks out (the demo). It
 * listens on the host and port of a configured endpoint's URL (the first on localhost or 127.0.0.1 unless
 * --endpoint names one), verifies each message with that endpoint's secrets using the `standardwebhooks` package,
 * drops repeats by `webhook-id` as a real receiver must, and prints one line per message. It answers 204, or 401
 * when the signature does not verify. It is a tool for seeing deliveries flow, not a production receiver: it keeps
 * the ids it has seen in memory only.
 */
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { ValidationError } from '../errors.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';

export const webhookReceiverOptions = { endpoint: { type: 'string' }, port: { type: 'string' } } as const;

const LOCAL = new Set(['localhost', '127.0.0.1', '[::1]']);

export async function webhookReceiverCommand(ctx: CommandContext, values: Record<string, unknown>, signal?: AbortSignal): Promise<ExitCode> {
  const eps = ctx.config.webhooks.endpoints;
  const wanted = values.endpoint as string | undefined;
  const ep = wanted ? eps.find((e) => e.id === wanted) : eps.find((e) => LOCAL.has(new URL(e.url).hostname));
  if (!ep) {
    throw new ValidationError(wanted
      ? `no webhook endpoint "${wanted}" in ${ctx.config.file}`
      : `no webhook endpoint on localhost in ${ctx.config.file}; add one (see config/demo.yaml) or pass --endpoint ID`);
  }
  const url = new URL(ep.url);
  const port = values.port ? Number(values.port) : Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ValidationError(`--port must be 1 to 65535, not "${String(values.port)}"`);
  if (url.protocol !== 'http:') throw new ValidationError(`endpoint ${ep.id} is ${url.protocol}//; the local receiver speaks plain http only`);
  const verifiers = ep.secrets.map((s) => new Webhook(s));
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
      const id = headers['webhook-id'] ?? '?';
      let payload: { type?: string; timestamp?: string } | undefined;
      for (const v of verifiers) {
        try {
          payload = v.verify(body, headers) as typeof payload;
          break;
        } catch {
          // try the next secret
        }
      }
      const at = new Date().toISOString();
      if (!payload) {
        ctx.io.out(`${at}  ${id}  REJECTED (signature does not verify)`);
        res.writeHead(401).end();
        return;
      }
      const dup = seen.has(id);
      seen.add(id);
      ctx.io.out(`${at}  ${id}  ${payload.type ?? '?'}  event at ${payload.timestamp ?? '?'}${dup ? '  (duplicate, ignored)' : ''}`);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, url.hostname.replace(/^\[|\]$/g, ''), () => resolve());
  });
  ctx.io.out(`Receiving webhooks for endpoint "${ep.id}" on ${url.origin}; Ctrl+C to stop.`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    signal?.addEventListener('abort', stop, { once: true });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return EXIT.ok;
}
