/** DESIGN §10: 0 ok, 1 failure, 2 bad usage or config, 3 run held by the safety threshold. */
export const EXIT = { ok: 0, failure: 1, usage: 2, held: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
