/** Captures what a CLI command prints, for in-process runs of `runCli`. */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out: () => out.join('\n'), err: () => err.join('\n') };
}
