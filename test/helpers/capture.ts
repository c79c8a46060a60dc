/** Captures what a CLI command prints, for in-process runs of `runCli`. */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out: () => out.join('\n'), err: () => err.join('\n') };
}

/** Runs `rollcall <args> --config file` in-process and returns the exit code and what it printed. */
export function cliWithConfig(file: string) {
  return async (...args: string[]) => {
    const { runCli } = await import('../../src/cli.js');
    const c = capture();
    const code = await runCli([...args, '--config', file], c.io, false);
    return { code, out: c.out(), err: c.err() };
  };
}
