/** The demo's commented webhook block, once uncommented, is a valid endpoint the local receiver picks up. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { repoRoot } from '../helpers/spawn.js';

describe('config/demo.yaml webhook receiver option', () => {
  it('parses when uncommented, on 127.0.0.1 with http and private addresses allowed explicitly', () => {
    const file = path.join(repoRoot, 'config/demo.yaml');
    const text = readFileSync(file, 'utf8');
    const at = text.indexOf('# webhooks:');
    expect(at).toBeGreaterThan(0);
    const uncommented = text.slice(0, at) + text.slice(at).replace(/^# /gm, '');
    const config = parseConfigText(uncommented, file, {});
    expect(config.webhooks.endpoints).toEqual([expect.objectContaining({
      id: 'demo-receiver', url: 'http://127.0.0.1:9090/', events: ['*'], allowInsecure: true, allowPrivateNetwork: true,
    })]);
    expect(config.webhooks.endpoints[0]!.secrets).toHaveLength(1);
    // as shipped, the demo delivers nowhere
    expect(parseConfigText(text, file, {}).webhooks.endpoints).toEqual([]);
  });
});
