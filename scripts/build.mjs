#!/usr/bin/env node
/**
 * Builds dist/ with esbuild: src/cli.tsx bundled to ESM with code splitting, so each command's
 * dynamic import() stays a lazy chunk, and every dependency bundled in (the package installs with
 * no registry). `npm run typecheck` does the type checking; this only emits.
 *
 * It then refuses a build whose start-up loads too much: the chunks `drdeck --help` imports
 * statically must hold neither Ink and React (about 0.5 s to load) nor the Kubernetes client
 * (about 0.6 s). And it writes dist/THIRD-PARTY-LICENSES.md: the bundled packages' licenses travel
 * with their code.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// Why: `npm pack` and `npm publish` run `prepack` and then `prepare`; prepack has built already.
if (process.argv.includes('--unless-packing') && ['pack', 'publish'].includes(process.env.npm_command ?? '')) process.exit(0);

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

/** Packages the start-up chunks must not contain. */
const NOT_AT_START = ['ink', 'react', 'react-reconciler', 'yoga-layout', '@kubernetes/client-node'];

/**
 * Ink's renderer draws each frame into src/screens/ink-output.ts instead of Ink's own Output (that
 * file says why). The build fails when Ink's renderer no longer imports it, so an Ink upgrade cannot
 * silently drop it.
 */
let outputReplaced = false;
const inkOutput = {
  name: 'ink-output',
  setup(b) {
    b.onResolve({ filter: /^\.\/output\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]ink[\\/]build[\\/]renderer\.js$/.test(args.importer)) return undefined;
      outputReplaced = true;
      return { path: join(root, 'src', 'screens', 'ink-output.ts') };
    });
  },
};

const started = performance.now();
rmSync(dist, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.tsx'],
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.3',
  jsx: 'automatic',
  // Whitespace and syntax only: half the size and a faster start (the Kubernetes client is 14 MB
  // unminified), while names stay readable in a stack trace.
  minifyWhitespace: true,
  minifySyntax: true,
  // Why: React, Ink and the reconciler pick their development builds (slower, noisier) otherwise.
  define: { 'process.env.NODE_ENV': '"production"' },
  // Ink imports it only when DEV=true (React DevTools); drdeck does not ship it.
  external: ['react-devtools-core'],
  // Bundled CommonJS (React, parts of the Kubernetes client) calls require() for Node's built-ins,
  // which an ES module has no binding for.
  banner: { js: "import { createRequire as __drdeckRequire } from 'node:module'; const require = __drdeckRequire(import.meta.url);" },
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  plugins: [inkOutput],
});
if (!outputReplaced) {
  console.error("build: Ink's renderer no longer imports ./output.js: src/screens/ink-output.ts would not be used");
  process.exit(1);
}

const outputs = result.metafile.outputs;
const packageOf = (input) => {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1];
};

/** The outputs Node loads for `drdeck --help`: cli.js and what it imports statically. */
function startupClosure(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imported of outputs[file].imports) if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  visit(entry);
  return [...seen];
}

const atStart = startupClosure('dist/cli.js');
const heavy = atStart.flatMap((file) =>
  Object.keys(outputs[file].inputs)
    .filter((input) => NOT_AT_START.includes(packageOf(input)))
    .map((input) => `${file}: ${input}`),
);
if (heavy.length) {
  console.error(`build: drdeck --help would load what only the commands need:\n  ${heavy.slice(0, 10).join('\n  ')}`);
  process.exit(1);
}

/** The license text of each bundled package, found next to its package.json. */
function licenses() {
  const packages = new Map();
  for (const output of Object.values(outputs)) {
    for (const input of Object.keys(output.inputs)) {
      const name = packageOf(input);
      if (!name || packages.has(name)) continue;
      const dir = join(root, input.slice(0, input.lastIndexOf(`node_modules/${name}/`)), 'node_modules', name);
      packages.set(name, dir);
    }
  }
  const sections = [...packages.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, dir]) => {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
      const text = file ? readFileSync(join(dir, file), 'utf8').trim() : `${pkg.license ?? 'see the package'} (no license file in the package)`;
      return `## ${name} ${pkg.version}\n\nLicense: ${pkg.license ?? 'unknown'}\n\n\`\`\`\n${text}\n\`\`\``;
    });
  return `# Third-party licenses\n\ndrdeck's dist/ bundles these packages.\n\n${sections.join('\n\n')}\n`;
}
writeFileSync(join(dist, 'THIRD-PARTY-LICENSES.md'), licenses());

const files = Object.keys(outputs).filter((file) => existsSync(join(root, file)));
const bytes = files.reduce((sum, file) => sum + outputs[file].bytes, 0);
const startBytes = atStart.reduce((sum, file) => sum + outputs[file].bytes, 0);
const ms = Math.round(performance.now() - started);
// On stderr: `npm pack --json` prints its JSON on stdout, after this.
console.error(
  `built ${relative(process.cwd(), dist) || 'dist'}/ in ${ms} ms: ${files.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MB; ` +
    `drdeck --help loads ${atStart.length} of them (${Math.round(startBytes / 1024)} kB)`,
);
