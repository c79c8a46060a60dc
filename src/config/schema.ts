/**
 * The top-level config schema (DESIGN §9). Per-source and per-helpdesk keys are not known here: they are
 * validated by each connector's own `configSchema` through connectors/registry.ts (see load.ts).
 */
import { validate as validCron } from 'node-cron';
import { z } from 'zod';

const cronExpr = z.string().refine((s) => validCron(s), { message: 'expected a cron expression such as "0 5 * * *"' });

export const deletionThresholdSchema = z.strictObject({
  /** Hold a full run that would deactivate more than this share of the source's active records. */
  percent: z.number().min(0).max(100).default(10),
  /** ...or more than this many records, whichever is smaller. */
  absolute: z.number().int().min(0).default(500),
});

/** Keys every source has; the rest of a `sources[]` entry belongs to the connector. */
export const commonSourceSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _'),
  kind: z.string(),
  enabled: z.boolean().default(true),
  schedule: cronExpr.optional(),
  deltaSchedule: cronExpr.optional(),
  deletionThreshold: deletionThresholdSchema.default({ percent: 10, absolute: 500 }),
});
export const COMMON_SOURCE_KEYS = ['id', 'kind', 'enabled', 'schedule', 'deltaSchedule', 'deletionThreshold'] as const;

const SECRET = /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/;
const secretMessage = 'expected a Standard Webhooks secret: whsec_ followed by base64 of 24 to 64 random bytes';

/**
 * Outbound URL policy switches, shared by webhook endpoints and help desks (src/http/url-policy.ts): http:// and
 * loopback, link-local, private and cloud metadata addresses are refused unless the entry allows them.
 */
const outboundPolicy = {
  allowInsecure: z.boolean().default(false),
  allowPrivateNetwork: z.boolean().default(false),
};

export const webhookEndpointSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _'),
    url: z.string().url(),
    /**
     * One secret, or (from secretFile) several separated by whitespace or new lines during a rotation; every
     * active secret signs each message, so receivers on the old or the new secret both verify.
     */
    secret: z.string().optional(),
    secrets: z.array(z.string().regex(SECRET, secretMessage)).min(1).optional(),
    /** Event types, `*` matching any run of characters: `discrepancy.*`, `sync.failed`, `*`. */
    events: z.array(z.string().min(1)).min(1).default(['*']),
    ...outboundPolicy,
  })
  .superRefine((e, ctx) => {
    // Checked again before every send (src/http/url-policy.ts); refused here so a typo fails at start.
    if (!e.allowInsecure && !e.url.startsWith('https://')) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'only https:// is allowed; set allowInsecure: true for an http:// receiver' });
    }
    if ((e.secret === undefined) === (e.secrets === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'give exactly one of secret, secretFile or secrets' });
      return;
    }
    for (const s of e.secret?.split(/\s+/).filter(Boolean) ?? []) {
      if (!SECRET.test(s)) ctx.addIssue({ code: 'custom', path: ['secret'], message: secretMessage });
    }
  })
  .transform(({ secret, secrets, ...rest }) => ({ ...rest, secrets: secrets ?? secret!.split(/\s+/).filter(Boolean) }));
export type WebhookEndpoint = z.infer<typeof webhookEndpointSchema>;

/**
 * Keys every help desk has; the rest of a `helpdesks[]` entry belongs to the sink. `rules` picks the rules that
 * open tickets on this desk (default: the rules with `ticket: true`); `templates.<rule>` replaces a rule's ticket
 * text (src/delivery/ticket-text.ts lists the placeholders).
 */
export const commonHelpdeskSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _'),
  kind: z.string(),
  rules: z.array(z.string().min(1)).min(1).optional(),
  templates: z.record(z.string(), z.strictObject({ title: z.string().min(1).optional(), body: z.string().min(1).optional() })).default({}),
});
/** `baseUrl`, `allowInsecure` and `allowPrivateNetwork` of a desk are the sink's keys (its `http()` reports them). */
export const COMMON_HELPDESK_KEYS = ['id', 'kind', 'rules', 'templates'] as const;

const ruleConfigSchema = z
  .object({
    enabled: z.boolean().optional(),
    severity: z.enum(['low', 'medium', 'high', 'critical']).optional(),
    ticket: z.boolean().optional(),
  })
  .catchall(z.unknown());

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(8080),
      logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** How long SIGTERM waits for in-flight requests and runs before closing anyway. */
      shutdownTimeoutMs: z.number().int().min(0).default(10_000),
      /** The public base URL of the admin pages, used in ticket links. */
      publicUrl: z.string().url().optional(),
      /**
       * Key that signs the admin pages' session cookies (HMAC-SHA256), at least 32 characters. Unset: a random key
       * per process, so sessions end when the daemon restarts and replicas do not share them.
       */
      sessionSecret: z.string().min(32, 'sessionSecret must be at least 32 characters').optional(),
    })
    .default({ host: '0.0.0.0', port: 8080, logLevel: 'info', shutdownTimeoutMs: 10_000 }),
  database: z
    .strictObject({
      url: z.string().optional(),
      /** Embedded PGlite directory, used when no url is set. */
      dataDir: z.string().default('./data'),
      poolSize: z.number().int().min(1).max(100).default(10),
      /**
       * A statement waiting for a lock another session holds (a long sync, a manual `psql` transaction) fails after
       * this many ms instead of hanging the run. 0 waits forever.
       */
      lockTimeoutMs: z.number().int().min(0).default(10_000),
      /** Any one statement running longer than this many ms is cancelled (0 = no limit). Default 15 minutes. */
      statementTimeoutMs: z.number().int().min(0).default(900_000),
    })
    .default({ dataDir: './data', poolSize: 10, lockTimeoutMs: 10_000, statementTimeoutMs: 900_000 }),
  district: z.strictObject({
    name: z.string().min(1),
    timezone: z.string().refine(isTimeZone, 'expected an IANA time zone such as America/Chicago').default('UTC'),
    /** Email domains the district owns; recent users outside them are never matched. */
    domains: z.array(z.string().min(1)).default([]),
    /** OneRoster grade codes in the 1:1 program (e.g. ["03", ..., "12"]). */
    oneToOneGrades: z.array(z.string()).default([]),
    /**
     * What replacing one device costs, keyed by model (as the MDM reports it, case-insensitive) or by platform
     * (chromeos, windows, ios, macos, android, other); a model's price wins over its platform's. The report's
     * replacement budget per quarter is built from it.
     */
    replacementCost: z.record(z.string().min(1), z.number().nonnegative()).default({}),
  }),
  sources: z.array(z.unknown()).default([]),
  reconcile: z
    .strictObject({
      /** Per rule: enabled, severity, ticket, and the rule's own options. */
      rules: z.record(z.string(), ruleConfigSchema).default({}),
      staleAfterDays: z.number().int().min(1).default(30),
      aueWarningDays: z.number().int().min(0).default(180),
      /** Org unit path prefix → school (org sourcedId or identifier). */
      ouSchoolMap: z.record(z.string(), z.string()).default({}),
      /**
       * Evaluate time-based rules as of this date instead of the clock. For demos and for auditing a past
       * snapshot; leave unset in production.
       */
      asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').optional(),
    })
    .default({ rules: {}, staleAfterDays: 30, aueWarningDays: 180, ouSchoolMap: {} }),
  helpdesks: z.array(z.unknown()).default([]),
  webhooks: z
    .strictObject({
      endpoints: z.array(webhookEndpointSchema).default([]),
    })
    .default({ endpoints: [] }),
  api: z
    .strictObject({
      /**
       * Bearer tokens for the admin API and pages. Give the token itself (`token`, or `tokenFile` for a Docker
       * secret) or only its SHA-256 hex (`tokenSha256`), so the config file never holds a usable secret.
       */
      tokens: z
        .array(
          z
            .strictObject({
              name: z.string().min(1),
              token: z.string().min(16, 'tokens must be at least 16 characters').optional(),
              tokenSha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected the 64 hex digits of a SHA-256').optional(),
              scopes: z.array(z.enum(['read', 'write', 'admin'])).min(1),
            })
            .refine((t) => (t.token === undefined) !== (t.tokenSha256 === undefined), {
              message: 'give exactly one of token, tokenFile or tokenSha256',
              path: ['token'],
            }),
        )
        .default([]),
      /**
       * Requests per minute each token may make (a token bucket per token name, kept in this process's memory, so
       * with N replicas a token may make up to N times this). Over it the API answers 429 with Retry-After.
       */
      rateLimit: z.strictObject({
        requestsPerMinute: z.number().int().min(1).default(600),
        /**
         * Unknown tokens each client address may present per minute (API bearer header and the sign-in form
         * together); past it, 429 with Retry-After before the token is looked at (src/api/auth/failed-auth.ts).
         */
        failedAuthPerMinute: z.number().int().min(1).default(10),
      }).default({ requestsPerMinute: 600, failedAuthPerMinute: 10 }),
      /** Largest request body the API reads, in bytes; larger ones get 413 before any parsing. */
      maxBodyBytes: z.number().int().min(1024).default(65_536),
    })
    .default({ tokens: [], rateLimit: { requestsPerMinute: 600, failedAuthPerMinute: 10 }, maxBodyBytes: 65_536 }),
  /**
   * The bundled demo district. With no API token configured, `serve` makes a one-off admin token and prints it
   * at start so the pages can be tried; outside the demo the API answers 503 until a token is added.
   */
  demo: z.boolean().default(false),
});

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export type RawConfig = z.infer<typeof configSchema>;
export type DeletionThreshold = z.infer<typeof deletionThresholdSchema>;
