/** Failed queries shown or logged without their parameters (which can be students' emails and names). */
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { safeErrorMessage, safeStoredError, scrubQueryError } from '../../src/db/query-error.js';
import { AppError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';

async function failedQuery(): Promise<unknown> {
  const db = await openDatabase({ dataDir: 'memory://' });
  await migrate(db);
  try {
    // a person without a content hash is refused with the email among the parameters.
    await db.orm.execute(sql`insert into people (source_id, external_id, role, status, email) values ('nope', ${'u-1'}, 'student', 'active', ${'ada.lovelace@maplewood.example.org'})`);
  } catch (e) {
    return e;
  } finally {
    await db.close();
  }
  throw new Error('expected the insert to fail');
}

describe('query errors', () => {
  it('a failed query keeps the driver message and SQLSTATE, loses the SQL and its parameters', async () => {
    const e = await failedQuery();
    expect(String((e as Error).message)).toContain('ada.lovelace@'); // drizzle's own message: the reason for all this
    const m = safeErrorMessage(e);
    expect(m).toMatch(/violates .* constraint \(SQLSTATE 23\d{3}\)/);
    expect(m).not.toContain('ada.lovelace');
    expect(m).not.toContain('insert into');
    const wrapped = new AppError('sync_failed', 'run 3 failed', { cause: e });
    expect(safeErrorMessage(wrapped)).toMatch(/^run 3 failed: .*SQLSTATE 23\d{3}/);
  });

  it('the logger never writes a failed query\'s parameters, whoever logs the error', async () => {
    const e = await failedQuery();
    let out = '';
    const sink = new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } });
    const log = createLogger({ level: 'info', destination: sink });
    log.error({ err: e, runId: 3 }, 'sync failed');
    log.error({ err: new AppError('sync_failed', 'run 3 failed', { cause: e }) }, 'wrapped');
    await new Promise((r) => setImmediate(r));
    expect(out).toMatch(/SQLSTATE 23\d{3}/);
    expect(out).toContain('"runId":3');
    expect(out).not.toContain('ada.lovelace');
    expect(out).not.toContain('params');
    const plain = new Error('plain');
    expect(scrubQueryError(plain)).toBe(plain);
  });

  it('stored run errors lose a failed query\'s text', () => {
    expect(safeStoredError('[sync_failed] Failed query: insert into people values ($1)\nparams: ada@x.org')).toBe('[sync_failed] a database query failed (the log has the database\'s message)');
    expect(safeStoredError('[http_timeout] slow')).toBe('[http_timeout] slow');
    expect(safeStoredError(null)).toBeNull();
  });
});
