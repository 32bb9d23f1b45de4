#!/usr/bin/env node
// The `gradnoise` command (package bin). The CLI lives in src/cli/ and is compiled to dist/ by `npm run build`.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
