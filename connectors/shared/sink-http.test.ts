/** The help desk error helpers: Retry-After in both forms, retryable statuses, redaction. */
import { describe, expect, it } from 'vitest';
import { isRetryableStatus, redact, retryAfterMs } from './sink-http.js';

describe('sink-http', () => {
  it('reads Retry-After as seconds or an HTTP-date', () => {
    const now = Date.parse('2026-03-02T15:00:00Z');
    expect(retryAfterMs('30', now)).toBe(30_000);
    expect(retryAfterMs('Mon, 02 Mar 2026 15:01:00 GMT', now)).toBe(60_000);
    expect(retryAfterMs('Mon, 02 Mar 2026 14:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('retries 408, 409, 425, 429 and 5xx only', () => {
    expect([400, 401, 403, 404, 408, 409, 410, 422, 425, 429, 500, 502, 503].filter(isRetryableStatus)).toEqual([408, 409, 425, 429, 500, 502, 503]);
  });

  it('removes secrets (and their base64), e-mail addresses, and caps the length', () => {
    const secret = 'tok-SECRET-123456';
    const b64 = Buffer.from(secret).toString('base64');
    expect(redact(`bad token ${secret} or ${b64} for jane.doe@students.district.org`, [secret])).toBe('bad token [redacted] or [redacted] for [email]');
    expect(redact('x'.repeat(1000), [])).toHaveLength(300);
  });
});
