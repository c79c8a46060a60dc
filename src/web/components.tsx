/** Small pieces the pages share. Everything rendered through hono/jsx is escaped; nothing here uses raw HTML. */
import type { Child } from 'hono/jsx';
import type { SourceFreshness } from '../reconcile/report-types.js';
import { formatAge } from '../reconcile/report.js';
import { Csrf } from './layout.js';

export function Sev({ s }: { s: string }) {
  return <span class={`sev sev-${s}`}>{s}</span>;
}

export function Status({ s }: { s: string }) {
  return <span class={`status-${s}`}>{s}</span>;
}

/** A timestamp as the reader's-eye "2026-11-01 05:30 UTC" with the ISO value in a <time> element. */
export function When({ at, now }: { at: string | null; now?: Date }) {
  if (!at) return <span class="muted">never</span>;
  const d = new Date(at);
  const text = `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return (
    <time datetime={d.toISOString()}>
      {text}
      {now && <span class="muted"> ({formatAge(Math.round((now.getTime() - d.getTime()) / 1000))})</span>}
    </time>
  );
}

export const fmt = (n: number) => n.toLocaleString('en-US');
export const money = (n: number) => `$${Math.round(n).toLocaleString('en-US')}`;
/** $263k, $1.2M: for chart labels, where the table beside the chart has the exact figure. */
export const shortMoney = (n: number) => (n >= 1e6 ? `$${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `$${Math.round(n / 1e3)}k` : `$${Math.round(n)}`);

/** A source counts as stale when its last success is older than this: a daily schedule missed once, plus slack. */
export const SOURCE_STALE_HOURS = 36;

export function sourceProblem(f: SourceFreshness): string | null {
  if (f.lastFailure) return `the last run of ${f.source} failed ${formatAge(Math.max(0, Math.round((Date.now() - new Date(f.lastFailure.at).getTime()) / 1000)))}${f.lastFailure.error ? `: ${f.lastFailure.error}` : ''}`;
  if (f.lastSuccessAt === null) return `${f.source} has never synced successfully`;
  if ((f.ageSeconds ?? 0) > SOURCE_STALE_HOURS * 3600) return `${f.source} is stale: its last successful sync was ${f.age}`;
  return null;
}

/** The red banner: every stale or failing source, one line each, on the dashboard and the report. */
export function FreshnessBanner({ freshness, everSynced }: { freshness: SourceFreshness[]; everSynced: boolean }) {
  const problems = freshness.map(sourceProblem).filter((p): p is string => p !== null);
  if (!everSynced) {
    return <div class="banner bad" role="alert">No source has synced yet: every figure below is empty, not good news. Run <code>rollcall sync</code> or wait for the schedule.</div>;
  }
  if (problems.length === 0) return null;
  return (
    <div class="banner bad" role="alert">
      <strong>Data is not current.</strong> The figures below are only as good as the last sync.
      <ul>{problems.map((p) => <li>{p}</li>)}</ul>
    </div>
  );
}

export function Flash({ kind, children }: { kind: 'ok' | 'bad' | 'info'; children?: Child }) {
  return <div class={`banner ${kind}`} role={kind === 'bad' ? 'alert' : 'status'}>{children}</div>;
}

/** A one-button POST form (approve, check in) carrying the CSRF token. */
export function PostButton({ action, csrf, label, fields = {} }: { action: string; csrf: string; label: string; fields?: Record<string, string> }) {
  return (
    <form method="post" action={action} class="inline">
      <Csrf value={csrf} />
      {Object.entries(fields).map(([k, v]) => <input type="hidden" name={k} value={v} />)}
      <button type="submit">{label}</button>
    </form>
  );
}
