/**
 * When a failed delivery is tried again. The schedule is the one Standard Webhooks recommends (5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h, 14 h, 20 h, 24 h after the previous attempt: about 3 days in all), each step with ±20 % jitter
 * so that a receiver that comes back after an outage is not hit by every replica's backlog in the same second.
 * A Retry-After longer than the step wins (the receiver said when); a shorter one does not pull a retry forward
 * of the schedule. After the last step the delivery is dead.
 */
const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

export const RETRY_SCHEDULE_MS: readonly number[] = [5 * S, 5 * MIN, 30 * MIN, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H];
/** The first attempt plus one per step. */
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;
export const JITTER = 0.2;
/** Retry-After is honoured up to this (a day); beyond it the schedule's own step applies. */
export const MAX_RETRY_AFTER_MS = 24 * H;

/**
 * Delay before attempt `attempt + 1`, given that attempt number `attempt` (1-based) just failed; null when it was
 * the last one.
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, random: () => number = Math.random): number | null {
  const step = RETRY_SCHEDULE_MS[attempt - 1];
  if (step === undefined) return null;
  const jittered = Math.round(step * (1 - JITTER + 2 * JITTER * random()));
  const asked = retryAfterMs !== undefined ? Math.min(retryAfterMs, MAX_RETRY_AFTER_MS) : 0;
  return Math.max(jittered, asked);
}
