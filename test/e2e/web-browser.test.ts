/**
 * The admin pages in a real browser: Debian's chromium driven by playwright-core against the app on a real
 * localhost port, the demo district synced. Screenshots land in .tmp/screenshots/ as test artifacts.
 * Skipped (and says so in its title) only when no chromium is installed; CI installs it (.ci/run).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { sql } from 'drizzle-orm';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { repoRoot } from '../helpers/spawn.js';
import { TOKENS, demoApp, type DemoApp } from '../helpers/web.js';

function findChromium(): string | null {
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null;
  }
}

const executable = findChromium();
const shots = path.join(repoRoot, '.tmp/screenshots');

describe.skipIf(!executable)(executable ? 'admin pages in chromium' : 'admin pages in chromium (SKIPPED: no chromium on PATH; install it with `apt-get install -y chromium`)', () => {
  let d: DemoApp;
  let server: ServerType;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let heldRun: number;

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    d = await demoApp('pglite');
    heldRun = await d.holdIntune();
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: d.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    profile = mkdtempSync(path.join(tmpdir(), 'rollcall-chromium-'));
    // A fresh profile each run (playwright passes it to chromium as --user-data-dir).
    context = await chromium.launchPersistentContext(profile, {
      executablePath: executable!,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
  });

  afterAll(async () => {
    await context?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await d?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('signs in with a token and shows the demo district\'s figures on the dashboard', async () => {
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await page.getByLabel('API token').fill(TOKENS.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Maplewood Unified (demo)');

    const [cov] = await rows<{ eligible: number; covered: number }>(d.t.db.orm, sql`
      select count(*)::int as eligible, count(*) filter (where exists (
        select 1 from assignments a join device_observations o on o.device_id = a.device_id
        where a.person_id = p.id and a.ended_at is null and o.active and o.status not in ('deprovisioned', 'retired', 'wiped', 'deleted', 'disabled')
          and (o.aue_date is null or o.aue_date >= ${d.config.reconcile.asOf!}::date)))::int as covered
      from people p where p.role = 'student' and p.status = 'active' and p.grades && ${sql.param(d.config.district.oneToOneGrades)}::text[]`);
    const [open] = await rows<{ n: number }>(d.t.db.orm, sql`select count(*)::int as n from discrepancies where status = 'open'`);
    const n = (x: number) => Number(x).toLocaleString('en-US');
    expect(await page.getByTestId('coverage-eligible').textContent()).toBe(n(cov!.eligible));
    expect(await page.getByTestId('coverage-covered').textContent()).toBe(n(cov!.covered));
    expect(await page.getByTestId('coverage-percent').textContent()).toBe(`${Math.round((cov!.covered * 1000) / cov!.eligible) / 10}%`);
    expect(await page.getByTestId('open-total').textContent()).toBe(n(open!.n));
    const [aue] = await rows<{ n: number }>(d.t.db.orm, sql`select count(*)::int as n from discrepancies where status = 'open' and rule = 'past-aue'`);
    expect(await page.locator('tr[data-rule="past-aue"] td').last().textContent()).toBe(n(aue!.n));
    await expect(page.getByTestId('held-runs').textContent()).resolves.toContain(`#${heldRun}`);
    await page.screenshot({ path: path.join(shots, 'dashboard.png'), fullPage: true });
  });

  it('filters the report and downloads the CSV', async () => {
    await page.getByRole('link', { name: 'Reconciliation report' }).click();
    await page.waitForURL(`${base}/report`);
    await page.screenshot({ path: path.join(shots, 'report.png') });
    await page.screenshot({ path: path.join(shots, 'report-full.png'), fullPage: true });
    await page.locator('#f-rule').selectOption('past-aue');
    await page.locator('#f-school').selectOption({ label: 'Jefferson High School' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/\/report\?school=.*&rule=past-aue/);
    const [want] = await rows<{ n: number }>(d.t.db.orm, sql`
      select count(*)::int as n from discrepancies x join people p on p.id = x.person_id join orgs s on s.id = p.school_id
      where x.status = 'open' and x.rule = 'past-aue' and s.name = 'Jefferson High School'`);
    expect(Number(want!.n)).toBeGreaterThan(0);
    expect(await page.getByTestId('row-count').textContent()).toBe(String(want!.n));
    expect(await page.locator('table[data-testid="findings"] tbody tr').count()).toBe(Number(want!.n));
    await page.screenshot({ path: path.join(shots, 'report-filtered.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('rollcall-report-2026-11-01.csv');
    const file = await download.path();
    const bytes = readFileSync(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^id,severity,rule,serial/);
    expect(lines).toHaveLength(Number(want!.n) + 1);
    expect(lines.slice(1).every((l) => l.split(',')[2] === 'past-aue')).toBe(true);
  });

  it('opens a device page from the report, with its holder and timeline', async () => {
    const link = page.locator('table[data-testid="findings"] tbody tr td:nth-child(3) a').first();
    const serial = (await link.textContent())!;
    await link.click();
    await page.waitForURL(`${base}/devices/${encodeURIComponent(serial)}`);
    expect(await page.getByTestId('device-serial').textContent()).toBe(serial);
    const [holder] = await rows<{ name: string | null }>(d.t.db.orm, sql`
      select concat_ws(' ', coalesce(p.preferred_name, p.given_name), p.family_name) as name from devices x
      join assignments a on a.device_id = x.id and a.ended_at is null join people p on p.id = a.person_id where x.serial = ${serial}`);
    if (holder) expect(await page.getByTestId('holder').textContent()).toContain(holder.name);
    else expect(await page.getByTestId('holder').textContent()).toBe('no one');
    expect(await page.locator('ol[data-testid="timeline"] li').count()).toBeGreaterThan(1);
    await page.screenshot({ path: path.join(shots, 'device.png'), fullPage: true });
  });

  it('approves a held run from the dashboard', async () => {
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('button', { name: `Approve run #${heldRun}` }).click();
    await page.waitForURL(`${base}/?approved=${heldRun}`);
    await expect(page.getByRole('status').first().textContent()).resolves.toContain(`Run #${heldRun} was approved and applied.`);
    const [run] = await rows<{ status: string }>(d.t.db.orm, sql`select status from sync_runs where id = ${heldRun}`);
    expect(run!.status).toBe('approved');
    expect(await page.getByText('None: no run is waiting.').count()).toBe(1);
    await page.screenshot({ path: path.join(shots, 'approved.png'), fullPage: true });
  });

  it('checks out a device found with the search box', async () => {
    const [dev] = await rows<{ serial: string; asset_tag: string }>(d.t.db.orm, sql`
      select d.serial, d.asset_tag from devices d where d.status = 'active' and d.asset_tag is not null
        and not exists (select 1 from assignments a where a.device_id = d.id and a.ended_at is null) order by d.serial limit 1`);
    const [who] = await rows<{ id: number; email: string; name: string }>(d.t.db.orm, sql`
      select p.id, p.email, concat_ws(' ', coalesce(p.preferred_name, p.given_name), p.family_name) as name from people p
      join discrepancies x on x.person_id = p.id and x.rule = 'student-without-device' and x.status = 'open' order by p.id limit 1`);
    await page.getByRole('searchbox', { name: 'Search serial, asset tag, name or email' }).fill(dev!.asset_tag);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(`${base}/devices/${encodeURIComponent(dev!.serial)}`);
    expect(await page.getByTestId('holder').textContent()).toBe('no one');
    await page.getByLabel('Check out to (name, email or SIS id)').fill(who!.email);
    await page.getByLabel('Reason (optional)').fill('start of term');
    await page.getByRole('button', { name: 'Check out' }).click();
    await page.waitForURL(`${base}/devices/${encodeURIComponent(dev!.serial)}?done=checkout`);
    expect(await page.getByTestId('holder').textContent()).toContain(who!.name);
    const [a] = await rows<{ person_id: number; origin: string }>(d.t.db.orm, sql`
      select a.person_id, a.origin from assignments a join devices x on x.id = a.device_id where x.serial = ${dev!.serial} and a.ended_at is null`);
    expect({ person: Number(a!.person_id), origin: a!.origin }).toEqual({ person: Number(who!.id), origin: 'manual' });
    await page.screenshot({ path: path.join(shots, 'checked-out.png'), fullPage: true });
  });

  it('lists runs and quarantine, and signs out', async () => {
    await page.getByRole('link', { name: 'Runs' }).click();
    await expect(page.getByTestId('runs').textContent()).resolves.toContain(`#${heldRun}`);
    await page.getByRole('link', { name: 'Quarantine' }).click();
    await page.screenshot({ path: path.join(shots, 'quarantine.png'), fullPage: true });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/signin?signedout=1`);
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/signin');
  });

  it('renders the API reference at /docs from this server alone', async () => {
    const elsewhere: string[] = [];
    const refused: string[] = [];
    page.on('request', (r) => { if (!r.url().startsWith(base)) elsewhere.push(r.url()); });
    page.on('console', (m) => { if (m.type() === 'error') refused.push(m.text()); });
    await page.goto(`${base}/docs`);
    await page.getByText('/api/v1/devices/{serial}', { exact: true }).first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: path.join(shots, 'api-reference.png') });
    expect(elsewhere).toEqual([]);
    expect(refused.filter((t) => /Content Security Policy/i.test(t))).toEqual([]);
  });
});
