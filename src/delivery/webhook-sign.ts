/**
 * Standard Webhooks headers, signed with the `standardwebhooks` package: `webhook-id` (the delivery's own id, so
 * it is the same on every retry and receivers de-duplicate by it), `webhook-timestamp` (unix seconds of this
 * attempt), `webhook-signature` (`v1,<base64>` once per active secret, space-separated, so a receiver still on the
 * old secret verifies during a rotation).
 */
import { Webhook } from 'standardwebhooks';

export interface WebhookMessage {
  id: string;
  body: string;
  at: Date;
}

export function webhookId(deliveryId: number): string {
  return `msg_${deliveryId}`;
}

/** The JSON body: `{type, timestamp, data}`; `timestamp` is when the event happened (the outbox row). */
export function webhookBody(type: string, eventAt: Date, data: unknown): string {
  return JSON.stringify({ type, timestamp: eventAt.toISOString(), data });
}

export function signers(secrets: readonly string[]): Webhook[] {
  return secrets.map((s) => new Webhook(s));
}

export function signedHeaders(m: WebhookMessage, keys: readonly Webhook[]): Record<string, string> {
  // The library only signs a string or a Node Buffer; the body is already the exact string sent.
  const signature = keys.map((k) => k.sign(m.id, m.at, m.body)).join(' ');
  return {
    'webhook-id': m.id,
    'webhook-timestamp': String(Math.floor(m.at.getTime() / 1000)),
    'webhook-signature': signature,
  };
}
