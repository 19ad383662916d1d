#!/usr/bin/env node
/**
 * The `runtime` bin.
 */
import { runCli } from './cli-program.js';

const code = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
});
process.exitCode = code;
