/**
 * The fetch floor of a live phase, in its own process: the same pages the connector asks for, fetched with plain
 * fetch() and JSON.parse, nothing else (no mapping, no ledger). Prints one JSON line.
 *   tsx bench/live-fetch.ts sis <base> <pageSize> <concurrency>
 *   tsx bench/live-fetch.ts google <base> <maxResults>      (sequential, the whole customer as one list)
 *   tsx bench/live-fetch.ts graph <base>                    (sequential, following @odata.nextLink)
 */
const [mode, base, a, b] = process.argv.slice(2) as [string, string, string?, string?];

async function json(url: string, init: RequestInit = {}): Promise<{ body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return { body: JSON.parse(await res.text()) as Record<string, unknown>, headers: res.headers };
}

async function sis(pageSize: number, concurrency: number) {
  const tok = await json(`${base}/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('rollcall:bench').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  const headers = { authorization: `Bearer ${String(tok.body.access_token)}` };
  let records = 0;
  let pages = 0;
  for (const c of ['orgs', 'users', 'enrollments']) {
    const page = async (offset: number) => {
      const r = await json(`${base}/ims/oneroster/rostering/v1p2/${c}?limit=${pageSize}&offset=${offset}&sort=sourcedId`, { headers });
      pages++;
      const items = r.body[c] as unknown[];
      records += items.length;
      return { n: items.length, total: Number(r.headers.get('x-total-count')) };
    };
    const first = await page(0);
    if (first.n === 0) continue;
    // The connector's shape: after the first page, `concurrency` requests in flight, refilled as each lands.
    let next = first.n;
    const worker = async () => {
      while (next < first.total) {
        const at = next;
        next += first.n;
        await page(at);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }
  return { records, pages };
}

async function google(maxResults: number) {
  const tok = await json(`${base}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=x' });
  const headers = { authorization: `Bearer ${String(tok.body.access_token)}` };
  let records = 0;
  let pages = 0;
  let token: string | undefined;
  do {
    const r = await json(`${base}/admin/directory/v1/customer/my_customer/devices/chromeos?maxResults=${maxResults}&projection=FULL${token ? `&pageToken=${token}` : ''}`, { headers });
    pages++;
    records += (r.body.chromeosdevices as unknown[]).length;
    token = r.body.nextPageToken as string | undefined;
  } while (token);
  return { records, pages };
}

async function graph() {
  const tok = await json(`${base}/login.microsoftonline.com/11111111-2222-4333-8444-555555555555/oauth2/v2.0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  const headers = { authorization: `Bearer ${String(tok.body.access_token)}` };
  let records = 0;
  let pages = 0;
  let url: string | undefined = `${base}/graph.microsoft.com/v1.0/deviceManagement/managedDevices?$top=1000`;
  while (url) {
    const r = await json(url, { headers });
    pages++;
    records += (r.body.value as unknown[]).length;
    const next = r.body['@odata.nextLink'] as string | undefined;
    url = next ? `${base}/${next.replace(/^https:\/\//, '')}` : undefined;
  }
  return { records, pages };
}

const started = performance.now();
const out = mode === 'sis' ? await sis(Number(a), Number(b)) : mode === 'google' ? await google(Number(a)) : mode === 'graph' ? await graph() : undefined;
if (!out) throw new Error(`unknown mode ${mode}`);
console.log(JSON.stringify({ phase: `fetch-${mode}`, ...out, ms: performance.now() - started, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
