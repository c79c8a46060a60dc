/** TicketDraft → iiQ bodies, the asset match, the subject key marker, and the rule webhook → InboundEvent. */
import { createHash } from 'node:crypto';
import type { InboundEvent, TicketDraft } from '../types.js';
import type { IiqAsset, IiqCommentBody, IiqCreateBody } from './api-types.js';

/**
 * iiQ has no idempotency key or external id on tickets, so the key travels in the subject as `[rc:<16 hex of
 * SHA-256(key)>]`: short enough not to crowd the subject a technician reads, searchable in the recent-ticket list.
 */
export function keyMarker(key: string): string {
  return `[rc:${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 16)}]`;
}

const normSerial = (s: string): string => s.trim().toUpperCase().replace(/\s+/g, '');

export type AssetMatch = { asset: IiqAsset } | { asset: null; note: string };

/** `GET /assets/serial/{serial}` answers a list: only one exact, live match is used. */
export function matchAsset(serial: string, items: IiqAsset[]): AssetMatch {
  const want = normSerial(serial);
  const exact = items.filter((a) => !a.IsDeleted && a.SerialNumber != null && normSerial(a.SerialNumber) === want);
  if (exact.length === 1) return { asset: exact[0]! };
  return {
    asset: null,
    note: exact.length === 0
      ? `No Incident IQ asset has serial ${want}; this ticket was opened without an asset.`
      : `${exact.length} Incident IQ assets share serial ${want}; this ticket was opened without an asset (attach the right one).`,
  };
}

export interface IiqMapping {
  forId: string;
  issueId: string;
  issues: Record<string, string>;
  locationId: string;
  locations: Record<string, string>;
  productId?: string;
}

export function createBody(d: TicketDraft, key: string, m: IiqMapping, match: AssetMatch | null): IiqCreateBody {
  const note = match && match.asset === null ? `\n\n${match.note}` : '';
  return {
    Subject: `${d.title} ${keyMarker(key)}`,
    IssueDescription: `${d.body}${note}`,
    ForId: m.forId,
    IssueId: m.issues[d.rule] ?? m.issueId,
    LocationId: (d.schoolExternalId ? m.locations[d.schoolExternalId] : undefined) ?? m.locationId,
    Assets: match?.asset ? [{ AssetId: match.asset.AssetId }] : [],
    IsUrgent: d.severity === 'critical',
    IsTraining: false,
    ...(m.productId ? { ProductId: m.productId } : {}),
    Attachments: [],
  };
}

export function commentBody(ticketId: string, text: string): IiqCommentBody {
  return {
    TicketId: ticketId,
    ActivityItems: [{ $type: 'Spark.Shared.Models.TicketActivityComment, Spark.Shared', TicketActivityTypeId: 6, Comments: text }],
    IsPublic: false,
    WaitForResponse: false,
    TicketWasUpdated: false,
  };
}

/** iiQ rule webhooks URL-encode string values (`Closed%20-%20Resolved`, sometimes `+` for spaces). */
export function urlDecode(v: string): string {
  try {
    return decodeURIComponent(v.replace(/\+/g, ' '));
  } catch {
    return v;
  }
}

export function inboundEvent(b: { ticketId: string; status: string; outcome?: string }): InboundEvent {
  const status = urlDecode(b.status).trim();
  const outcome = b.outcome === undefined ? '' : urlDecode(b.outcome).trim().toLowerCase();
  return {
    externalId: urlDecode(b.ticketId).trim(),
    idempotencyKey: null,
    status,
    outcome: /closed|resolved/i.test(status) && outcome === 'collected' ? 'collected' : 'other',
  };
}
