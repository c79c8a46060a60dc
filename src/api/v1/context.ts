/** What the /api/v1 routers share: their dependencies, their Hono env, and the validation hook. */
import { OpenAPIHono, type Hook } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import type { AppDeps } from '../app.js';
import type { AuthEnv } from '../auth/middleware.js';
import { errorResponse } from '../error-shape.js';

export type V1Deps = AppDeps;
export type V1Env = AuthEnv;

/** `query.limit: Too big: expected number to be <=500; json.reason: …`: every message names its field. */
export function describeIssues(target: string, error: ZodError): string {
  return error.issues
    .map((i) => {
      const at = [target === 'param' ? 'path' : target === 'json' ? 'body' : target, ...i.path.map(String)].join('.');
      return `${at}: ${i.message}`;
    })
    .join('; ');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the hook serves every route, whatever its input
export const validationHook: Hook<any, V1Env, any, any> = (result, c) => {
  if (!result.success) return errorResponse(c, 400, 'validation_failed', describeIssues(result.target, result.error));
  return undefined;
};

export function v1Router() {
  return new OpenAPIHono<V1Env>({ defaultHook: validationHook });
}
