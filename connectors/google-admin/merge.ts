/**
 * Reads several async sources at once, at most `limit` of them open, yielding items as they arrive. Each open
 * source has exactly one `next()` in flight, started as soon as its previous item was handed over: the next
 * page is fetched while the consumer (the ledger) works on this one, and memory holds at most `limit` pages.
 * The first source to throw ends the merge with its error; the other open sources are closed.
 * (Generic: belongs in connectors/shared once a second connector wants it.)
 */
export async function* mergeBounded<T>(sources: ReadonlyArray<() => AsyncIterator<T>>, limit: number): AsyncGenerator<T> {
  type Step = { i: number; r: IteratorResult<T> };
  const open = new Map<number, { it: AsyncIterator<T>; next: Promise<Step> }>();
  let started = 0;
  const pull = (i: number, it: AsyncIterator<T>) => {
    const next = it.next().then((r) => ({ i, r }));
    next.catch(() => undefined); // observed through Promise.race; never an unhandled rejection
    open.set(i, { it, next });
  };
  const start = () => {
    const i = started++;
    pull(i, sources[i]!());
  };
  try {
    while (started < sources.length && open.size < Math.max(1, limit)) start();
    while (open.size > 0) {
      const { i, r } = await Promise.race([...open.values()].map((o) => o.next));
      const o = open.get(i)!;
      if (r.done) {
        open.delete(i);
        if (started < sources.length) start();
        continue;
      }
      pull(i, o.it);
      yield r.value;
    }
  } finally {
    for (const { it } of open.values()) void it.return?.(undefined)?.catch?.(() => undefined);
  }
}
