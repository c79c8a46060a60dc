/**
 * Ticket text: what is wrong, for which device and person, since when, and what to do. Each rule has a default
 * title and body; `helpdesks[].templates.<rule>.title|body` replaces them per desk. Placeholders are `{{name}}`:
 *
 *   {{title}} the rule's title      {{rule}} its code          {{severity}}
 *   {{serial}} {{assetTag}} {{model}}                            the device ("-" when unknown)
 *   {{person}} {{school}} {{grade}} {{sisId}}                    the person (name as the SIS has it)
 *   {{since}} date the discrepancy opened (YYYY-MM-DD)          {{occurrence}} 1, 2, ... for a recurrence
 *   {{action}} what to do (the rule's default advice)           {{link}} the discrepancy in the admin pages
 *
 * The text is read from the ledger when the ticket is opened (the outbox event itself carries ids only, ADR 0008).
 * A help desk is where a technician needs the name of the student whose laptop to collect, so names appear here
 * and nowhere in logs.
 */
import { sql } from 'drizzle-orm';
import type { TicketDraft } from '../../connectors/types.js';
import { formatPath, type HelpdeskConfig } from '../config/index.js';
import { rows, type Database } from '../db/client.js';
import { ConfigError } from '../errors.js';
import { ruleByCode } from '../reconcile/rules/index.js';

export const PLACEHOLDERS = ['title', 'rule', 'severity', 'serial', 'assetTag', 'model', 'person', 'school', 'grade', 'sisId', 'since', 'occurrence', 'action', 'link'] as const;
type Vars = Record<(typeof PLACEHOLDERS)[number], string>;

/** What a technician should do, per rule. */
const ACTIONS: Record<string, string> = {
  'withdrawn-with-device': 'Collect the device from the student (or their school) and check it in; then end the assignment.',
  'dev-mode': 'Recover the Chromebook to verified mode (Esc+Refresh+Power, then Ctrl+D is refused) and re-enroll it.',
  'duplicate-serial-conflict': 'Find out who really holds the device and correct the MDM that is wrong.',
  'disabled-but-assigned': 'Re-enable the device, or end the assignment if it was retired.',
  'device-silent': 'Locate the device and have the holder connect it; report it lost if it cannot be found.',
  'multiple-devices': 'Collect the extra device(s) so the student holds one.',
  'noncompliant': 'Bring the device back into compliance with the MDM policy.',
  'past-aue': 'Plan the replacement of this device: it no longer receives (or soon stops receiving) updates.',
  'student-without-device': 'Issue a device to the student.',
  'unknown-user': 'Find the device\'s user and fix the account in the MDM or the SIS.',
  'wrong-school': 'Move the device to the holder\'s school org unit, or correct the assignment.',
};

const DEFAULT_TITLE = '{{title}}: {{serial}} / {{person}}';
const DEFAULT_BODY = [
  'What is wrong: {{title}} (rule {{rule}}, severity {{severity}}).',
  '',
  'Device: serial {{serial}}, asset tag {{assetTag}}, model {{model}}',
  'Person: {{person}} (SIS id {{sisId}}), school {{school}}, grade {{grade}}',
  'Since: {{since}}',
  '',
  'What to do: {{action}}',
  '',
  '{{link}}',
].join('\n');

const TOKEN = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** Refuses a template with an unknown placeholder, naming the key, at start rather than at the first ticket. */
export function checkTemplates(helpdesks: readonly HelpdeskConfig[]): void {
  const issues: string[] = [];
  helpdesks.forEach((h, i) => {
    for (const [rule, t] of Object.entries(h.templates)) {
      if (!ruleByCode(rule)) issues.push(`${formatPath(['helpdesks', i, 'templates', rule])}: unknown rule`);
      for (const [k, text] of Object.entries(t)) {
        for (const m of (text ?? '').matchAll(TOKEN)) {
          if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
            issues.push(`${formatPath(['helpdesks', i, 'templates', rule, k])}: unknown placeholder {{${m[1]}}}; known: ${PLACEHOLDERS.join(', ')}`);
          }
        }
      }
    }
  });
  if (issues.length) throw new ConfigError(`helpdesks: ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n  ${issues.join('\n  ')}`, issues);
}

export function render(template: string, vars: Vars): string {
  return template.replace(TOKEN, (m, k: string) => (k in vars ? vars[k as keyof Vars] : m));
}

export interface DiscrepancyEvent {
  id: number;
  rule: string;
  subjectKey: string;
  severity: TicketDraft['severity'];
  occurrence: number;
  deviceId: number | null;
  personId: number | null;
}

interface Facts {
  serial: string | null; asset_tag: string | null; model: string | null; opened_at: string | Date | null;
  given_name: string | null; family_name: string | null; preferred_name: string | null; sis_id: string | null;
  grades: string[] | null; school: string | null; school_external_id: string | null;
}

export async function ticketDraft(db: Database, d: DiscrepancyEvent, helpdesk: HelpdeskConfig, publicUrl?: string): Promise<TicketDraft> {
  const [f] = await rows<Facts>(db.orm, sql`
    select dv.serial, dv.asset_tag, dv.model, x.opened_at, p.given_name, p.family_name, p.preferred_name, p.sis_id,
      p.grades, coalesce(o.name, p.school_external_id) as school, p.school_external_id
    from (select 1) one
    left join discrepancies x on x.id = ${d.id}
    left join devices dv on dv.id = ${d.deviceId}::bigint
    left join people p on p.id = ${d.personId}::bigint
    left join orgs o on o.id = p.school_id`);
  const v = (s: string | null | undefined) => (s && s.trim() ? s : '-');
  const name = f ? [f.preferred_name ?? f.given_name, f.family_name].filter(Boolean).join(' ') : '';
  const rule = ruleByCode(d.rule);
  const opened = f?.opened_at ? new Date(f.opened_at).toISOString().slice(0, 10) : '-';
  const vars: Vars = {
    title: rule?.title ?? d.rule,
    rule: d.rule,
    severity: d.severity,
    serial: v(f?.serial),
    assetTag: v(f?.asset_tag),
    model: v(f?.model),
    person: v(name),
    school: v(f?.school),
    grade: v(f?.grades?.join(', ')),
    sisId: v(f?.sis_id),
    since: opened,
    occurrence: String(d.occurrence),
    action: ACTIONS[d.rule] ?? 'Review the discrepancy in rollcall.',
    link: publicUrl ? `${publicUrl.replace(/\/+$/, '')}/discrepancies/${d.id}` : `rollcall discrepancy ${d.id}`,
  };
  const t = helpdesk.templates[d.rule] ?? {};
  return {
    title: render(t.title ?? DEFAULT_TITLE, vars).slice(0, 250),
    body: render(t.body ?? DEFAULT_BODY, vars),
    severity: d.severity,
    rule: d.rule,
    subjectKey: d.subjectKey,
    deviceSerial: f?.serial ?? null,
    assetTag: f?.asset_tag ?? null,
    // The desk's own requester (its config) files the ticket: a student must not be e-mailed about it.
    requesterEmail: null,
    schoolExternalId: f?.school_external_id ?? null,
  };
}
