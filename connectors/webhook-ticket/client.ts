/** One signed POST of a ticket message (one attempt; connectors/shared/sink-http.ts). */
import { Webhook } from 'standardwebhooks';
import type { HttpResponse } from '../shared/http.js';
import { sinkRequest, type SinkHttp } from '../shared/sink-http.js';
import type { TicketMessage } from './api-types.js';
import { messageId } from './mapper.js';

/**
 * Headers for `body`: one `v1,<base64>` per active secret (space-separated) during a rotation. `sign` takes a
 * string (the raw body sent), never a parsed object: the HMAC is over the exact bytes.
 */
export function signatureHeaders(secrets: readonly string[], id: string, at: Date, body: string): Record<string, string> {
  const ts = new Date(Math.floor(at.getTime() / 1000) * 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(id, ts, body)).join(' '),
  };
}

/** Receiver error text: the first 200 characters of whatever it answered (it is our admin's own system). */
export function receiverErrorText(body: string): string {
  return body.slice(0, 200);
}

export async function send(s: SinkHttp, url: string, secrets: readonly string[], m: TicketMessage): Promise<HttpResponse<string>> {
  const body = JSON.stringify(m);
  // Sent pre-serialised, so the signed bytes are the bytes on the wire.
  return sinkRequest(s, { method: 'POST', path: url, rawJson: body, headers: signatureHeaders(secrets, messageId(m), s.now(), body) });
}
