/**
 * The delivery targets a config names: each webhook endpoint (`webhook:<id>`) and each help desk
 * (`helpdesk:<id>`), and which outbox events each one receives.
 */
import type { Config, HelpdeskConfig } from '../config/index.js';
import type { WebhookEndpoint } from '../config/schema.js';
import type { EventType } from '../outbox/events.js';

export type Target =
  | { id: string; kind: 'webhook'; endpoint: WebhookEndpoint; match: (type: string) => boolean }
  | { id: string; kind: 'helpdesk'; helpdesk: HelpdeskConfig };

/** Help desks receive only these; everything else about a discrepancy is on the ticket already. */
export const TICKET_EVENTS: readonly EventType[] = ['discrepancy.opened', 'discrepancy.resolved'];

/** `discrepancy.*` → /^discrepancy\..*$/; `*` matches any run of characters, the rest is literal. */
export function eventMatcher(patterns: readonly string[]): (type: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  return (type) => res.some((r) => r.test(type));
}

export function configuredTargets(config: Pick<Config, 'webhooks' | 'helpdesks'>): Target[] {
  return [
    ...config.webhooks.endpoints.map((endpoint): Target => ({ id: `webhook:${endpoint.id}`, kind: 'webhook', endpoint, match: eventMatcher(endpoint.events) })),
    ...config.helpdesks.map((helpdesk): Target => ({ id: `helpdesk:${helpdesk.id}`, kind: 'helpdesk', helpdesk })),
  ];
}

/**
 * Whether a target gets this event. A help desk gets a discrepancy's events when its `rules` list the rule, or,
 * with no list, when the rule is marked `ticket` (the event carries that flag as it stood when it was written).
 */
export function wants(target: Target, type: string, payload: unknown): boolean {
  if (target.kind === 'webhook') return target.match(type);
  if (!(TICKET_EVENTS as readonly string[]).includes(type)) return false;
  const p = payload as { rule?: unknown; ticket?: unknown };
  if (target.helpdesk.rules) return typeof p.rule === 'string' && target.helpdesk.rules.includes(p.rule);
  return p.ticket === true;
}
