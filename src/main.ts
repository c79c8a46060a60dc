#!/usr/bin/env node
import { runCli } from './cli.js';
import { installProcessGuard } from './process-guard.js';

installProcessGuard();
const code = await runCli(process.argv.slice(2));
// Flush stdout before exiting: a piped `rollcall report` must not lose its tail.
process.stdout.write('', () => process.exit(code));
