/**
 * drizzle wraps driver errors; postgres.js names the violated constraint `constraint_name`, PGlite `constraint`.
 * This finds it through the cause chain so callers can turn a unique violation into a 409.
 */
export function violatedConstraint(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const c = cur as { constraint_name?: string; constraint?: string };
    if (c.constraint_name) return c.constraint_name;
    if (c.constraint) return c.constraint;
  }
  return undefined;
}
