#!/usr/bin/env node
// The published entry point: the compiled CLI (built by `npm run build`, run by `prepare` on `npm ci`).
import '../dist/cli.js';
