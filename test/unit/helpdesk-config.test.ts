/** `helpdesks[]` entries validate with the common keys (id, kind, rules) and the sink's own schema. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SINK_KINDS } from '../../connectors/registry.js';
import { parseConfigText } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rollcall-helpdesks-'));
const file = path.join(dir, 'rollcall.yaml');
writeFileSync(path.join(dir, 'zendesk-token'), 'zd-token-from-file\n');

const DISTRICT = 'district: { name: Maplewood }\n';

function issuesOf(text: string): string[] {
  try {
    parseConfigText(DISTRICT + text, file, {});
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('helpdesks config', () => {
  it('registers the help desk kinds', () => {
    expect([...SINK_KINDS].sort()).toEqual(['freshservice', 'incidentiq', 'webhook-ticket', 'zendesk']);
  });

  it('a zendesk desk validates, reads apiTokenFile, keeps rules as a common key', () => {
    const c = parseConfigText(`${DISTRICT}
helpdesks:
  - id: desk
    kind: zendesk
    subdomain: district
    email: it@district.org
    apiTokenFile: zendesk-token
    rules: [withdrawn-with-device, dev-mode]
`, file, {});
    expect(c.helpdesks).toHaveLength(1);
    const d = c.helpdesks[0]!;
    expect(d).toMatchObject({ id: 'desk', kind: 'zendesk', rules: ['withdrawn-with-device', 'dev-mode'] });
    expect(d.sink.kind).toBe('zendesk');
    expect(d.settings).toMatchObject({ subdomain: 'district', apiToken: 'zd-token-from-file', allowInsecure: false });
  });

  it('names the key of each problem: unknown kind, duplicate id, per-kind keys, http:// baseUrl', () => {
    const issues = issuesOf(`
helpdesks:
  - { id: desk, kind: zendesk, subdomain: district, email: it@district.org, apiToken: t }
  - { id: desk, kind: jira, url: x }
  - { id: other, kind: zendesk, baseUrl: "http://10.0.0.5:8080", email: it@district.org, apiToken: t, colour: red }
`);
    expect(issues).toEqual(expect.arrayContaining([
      'helpdesks[1].id: duplicate helpdesk id "desk"',
      expect.stringMatching(/^helpdesks\[1\]\.kind: unknown kind "jira"; known kinds: .*zendesk/),
      'helpdesks[2].colour: unknown key',
    ]));
    const second = issuesOf(`
helpdesks:
  - { id: other, kind: zendesk, baseUrl: "http://10.0.0.5:8080", email: it@district.org, apiToken: t }
`);
    expect(second).toEqual([expect.stringMatching(/^helpdesks\[0\]\.baseUrl: an http:\/\/ baseUrl is refused/)]);
  });

  it('every kind validates an entry as the example config documents it', () => {
    const c = parseConfigText(`${DISTRICT}
helpdesks:
  - { id: fs, kind: freshservice, subdomain: district, email: it@district.org, apiToken: fs-key, inboundSecret: a-long-inbound-secret-123 }
  - id: iiq
    kind: incidentiq
    site: district
    apiToken: iiq-token
    siteId: bb6cece8-e4f4-e511-a789-005056bb000e
    forId: e37a604a-2243-e611-a93b-a45e60e682da
    issueId: 11111111-2222-4333-8444-555555555555
    locationId: 7d7b1d2a-0c4b-e711-80c2-0004ffa00050
    locations: { school-hs: 9e9b1d2a-0c4b-e711-80c2-0004ffa00051 }
  - { id: flow, kind: webhook-ticket, url: "http://127.0.0.1:9400/tickets", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, allowInsecure: true, allowPrivateNetwork: true }
`, file, {});
    expect(c.helpdesks.map((d) => `${d.id}:${d.kind}`)).toEqual(['fs:freshservice', 'iiq:incidentiq', 'flow:webhook-ticket']);
    expect(c.helpdesks[1]!.settings).toMatchObject({ closeReasonId: 'C98AE44E-ADA0-4AE7-AE30-817785C00002' });
    const issues = issuesOf(`
helpdesks:
  - { id: iiq, kind: incidentiq, site: district, apiToken: t, siteId: not-a-guid, forId: x, issueId: x, locationId: x }
`);
    expect(issues).toContain('helpdesks[0].siteId: expected a GUID');
  });
});

describe('ticket sink contract', () => {
  it('every sink declares its dedupe strategy, and only a receiver-deduped sink has no findByKey', async () => {
    const { ticketSinks } = await import('../../connectors/registry.js');
    for (const [kind, sink] of Object.entries(ticketSinks)) {
      expect(sink.kind).toBe(kind);
      expect(['idempotency-key', 'lookup', 'receiver']).toContain(sink.dedupe);
      expect(typeof sink.findByKey === 'function').toBe(sink.dedupe !== 'receiver');
      for (const m of ['http', 'check', 'open', 'comment', 'resolve', 'verifyInbound', 'parseInbound'] as const) expect(typeof sink[m]).toBe('function');
    }
  });
});
