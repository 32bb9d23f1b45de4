#!/usr/bin/env node
// The `gradnoise` command (package bin). The CLI lives in src/cli/ and is compiled to dist/ by `npm run build`.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
// The command has finished and written everything: a connection still retrying (BullMQ and ioredis while
// Redis is down) must not keep the process alive. Unreferenced, the timer never delays a normal exit.
setTimeout(() => process.exit(), 2000).unref();
