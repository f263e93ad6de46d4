#!/usr/bin/env node
// The published entry point: the bundled CLI in dist/ (scripts/build.mjs, run by `prepare` and `prepack`).
// Why old-fashioned JavaScript in this file: it must parse on any Node.js, so that an old one says which
// version drdeck needs instead of failing on syntax it does not know (AbortSignal.any needs 20.3).
var version = process.versions.node.split('.');
var major = Number(version[0]);
var minor = Number(version[1]);
if (major < 20 || (major === 20 && minor < 3)) {
  process.stderr.write('drdeck needs Node.js 20.3 or later; this is v' + process.versions.node + '\n');
  process.exit(2);
}
import('../dist/cli.js').catch(function (error) {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).indexOf('dist/cli.js') !== -1) {
    process.stderr.write('drdeck: dist/cli.js is missing: run "npm run build" (npm ci and npm pack run it)\n');
  } else {
    process.stderr.write('drdeck: ' + (error && error.stack ? error.stack : String(error)) + '\n');
  }
  process.exitCode = 2;
});
