/**
 * Keeps a transaction from writing to a connection that has gone away. postgres.js 3.4.9 crashes the process
 * when it does (porsager/postgres#1208, #1154; unfixed upstream as of 3.4.9):
 *
 *   1. the backend dies mid-transaction (pg_terminate_backend, a failover, a restart); `closed()` in
 *      postgres/src/connection.js sets `socket = null` and rejects the in-flight query with CONNECTION_CLOSED;
 *   2. the transaction callback rejects, and `sql.begin`'s scope issues its own `rollback` on that connection
 *      (postgres/src/index.js, `scope()`'s catch) — or the callback, still running (a sync reads the next file
 *      batch while the connection is idle in transaction), issues its next statement there;
 *   3. that write is under 1 KiB, so it is deferred with `setImmediate(nextWrite)`, which calls
 *      `socket.write` on null: a TypeError thrown from an Immediate, which no caller can catch.
 *
 * Worse than the crash: had the pool reconnected that connection meanwhile, step 2's statements would run on a
 * fresh session *outside* the transaction and commit on their own. So once a transaction's connection is lost
 * this guard (a) refuses every further statement of that transaction without touching the driver, and (b) never
 * settles the callback's promise, so postgres.js has nothing to roll back or commit: the server already rolled
 * the transaction back when the backend ended, and `begin()` itself rejects with the connection error (it
 * races the scope against the connection's close). What stays pending is that scope's closure (the callback and
 * drizzle's session objects, not the rows it staged): a few kB per lost connection.
 */
import type postgres from 'postgres';
import { isConnectionLoss } from './connection-loss.js';

interface TxState {
  lost?: unknown;
  /** Resolves when this transaction's own connection has closed (begin() rejected with a connection error). */
  closed: Promise<void>;
  markClosed(): void;
}

/**
 * How long a body that failed with a connection error waits to see its own connection close before treating
 * the error as someone else's (a query on another pool connection) and letting postgres.js roll back as usual.
 * A terminated backend sends 57P01 and then closes its socket, so its own close follows in the next read or two.
 */
const CLOSE_WAIT_MS = 2000;

type AnyFn = (...args: unknown[]) => unknown;

/** Wraps the client drizzle is given; only `begin` (drizzle's `transaction`) changes. */
export function guardTransactions<T extends postgres.Sql>(client: T): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'begin') return (...args: unknown[]) => guardedBegin(target, args);
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

function guardedBegin(client: postgres.Sql, args: unknown[]): Promise<unknown> {
  const fn = args[args.length - 1] as (sql: postgres.TransactionSql) => unknown;
  const options = args.length > 1 ? (args[0] as string) : undefined;
  let markClosed = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const state: TxState = { closed, markClosed };
  const body = (scope: postgres.TransactionSql) => settleUnlessLost(state, () => fn(guardScope(scope, state)));
  const run = (options === undefined ? client.begin(body) : client.begin(options, body)) as Promise<unknown>;
  // begin() rejects as soon as the connection closes, even while the callback is idle between statements: from
  // then on the callback's next statement must not reach the driver.
  run.catch((e: unknown) => {
    if (!isConnectionLoss(e)) return;
    state.lost ??= e;
    state.markClosed();
  });
  return run;
}

/** Runs a transaction (or savepoint) body; if it failed because the connection is gone, never settles (see top). */
function settleUnlessLost(state: TxState, body: () => unknown): Promise<unknown> {
  return Promise.resolve()
    .then(body)
    .catch(async (e: unknown) => {
      if (state.lost === undefined && !isConnectionLoss(e)) throw e;
      state.lost ??= e; // no further statement of this transaction reaches the driver
      let timer: NodeJS.Timeout | undefined;
      const isOurs = await Promise.race([
        state.closed.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS, false))),
      ]);
      clearTimeout(timer);
      if (isOurs) return new Promise<never>(() => {});
      throw e; // our connection is alive: postgres.js rolls back on it as usual
    });
}

function guardScope(scope: postgres.TransactionSql, state: TxState): postgres.TransactionSql {
  return new Proxy(scope, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') {
        return (...args: unknown[]) => {
          if (state.lost !== undefined) return refused(state.lost);
          return (target.unsafe as unknown as AnyFn)(...args);
        };
      }
      if (prop === 'savepoint') {
        return (...args: unknown[]) => {
          if (state.lost !== undefined) return refused(state.lost);
          const fn = args[args.length - 1] as (sql: postgres.TransactionSql) => unknown;
          const body = (inner: postgres.TransactionSql) => settleUnlessLost(state, () => fn(guardScope(inner, state)));
          return (target.savepoint as unknown as AnyFn)(...args.slice(0, -1), body);
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
    // Tagged-template use (sql`...`) of the scope goes through the same gate.
    apply(target, thisArg, args: unknown[]) {
      if (state.lost !== undefined) return refused(state.lost);
      return Reflect.apply(target as unknown as AnyFn, thisArg, args);
    },
  });
}

/** A rejected query lookalike: drizzle awaits it directly or through `.values()`. */
function refused(cause: unknown): Promise<never> & { values(): Promise<never>; raw(): Promise<never> } {
  const p = Promise.reject(cause instanceof Error ? cause : new Error(String(cause)));
  p.catch(() => {}); // rejected for whoever awaits it; not an unhandled rejection if drizzle only calls .values()
  return Object.assign(p, { values: () => p, raw: () => p });
}
