#!/usr/bin/env node
// The `gradnoise` command (package bin). The CLI lives in src/cli/ and is compiled to dist/ by `npm run build`.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
// The command has finished and written everything: a connection still retrying (BullMQ and ioredis while
// Redis is down) must not keep the process alive. Once stdout and stderr have handed everything to their
// pipes (a slow reader must still get all of it), an unreferenced timer ends the process; it never delays
// a normal exit.
const drained = (s) => (s.writableLength === 0 ? Promise.resolve() : new Promise((resolve) => s.once('drain', resolve)));
await Promise.all([drained(process.stdout), drained(process.stderr)]);
setTimeout(() => process.exit(), 2000).unref();
