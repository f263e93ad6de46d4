/**
 * src/screens/ink-output.ts against Ink's own Output, which it replaces in the bundle: the same
 * writes, clips and transformers give the same frame, frame after frame (so a row it remembers is
 * never one that changed).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import Output, { type Clip, type Transformer } from '../../src/screens/ink-output.js';
interface OutputLike {
  write(x: number, y: number, text: string, options: { transformers: Transformer[] }): void;
  clip(clip: Clip): void;
  unclip(): void;
  get(): { output: string; height: number };
}
type Operation = { write: [number, number, string, Transformer[]] } | { clip: Clip } | { unclip: true };

// Why from Ink's folder: its package exports only its index, and this is the class the bundle replaces.
const inkOutputUrl = new URL('output.js', import.meta.resolve('ink'));
const { default: InkOutput } = (await import(inkOutputUrl.href)) as { default: new (options: { width: number; height: number }) => OutputLike };

const TRANSFORMERS: Transformer[] = [(line) => line.toUpperCase(), (line, index) => `${index}:${line}`, (line) => `\u001b[31m${line}\u001b[39m`];

const segment = fc.oneof(
  fc.constantFrom('ok', 'Flux ', '  ', '✗ 0/2', '漢字', '🚀', 'é', 'x'.repeat(30), '│', '…'),
  fc.constantFrom('\u001b[31m', '\u001b[39m', '\u001b[1m', '\u001b[22m', '\u001b[7m', '\u001b[27m', '\u001b[0m'),
  fc.string({ maxLength: 6 }),
);
const text = fc
  .array(
    fc.array(segment, { maxLength: 6 }).map((parts) => parts.join('')),
    { minLength: 1, maxLength: 4 },
  )
  .map((lines) => lines.join('\n'));
const maybe = fc.option(fc.integer({ min: -2, max: 20 }), { nil: undefined, freq: 4 });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.tuple(fc.integer({ min: -4, max: 24 }), fc.integer({ min: -3, max: 14 }), text, fc.subarray(TRANSFORMERS)).map((write) => ({ write })),
  },
  { weight: 2, arbitrary: fc.record({ x1: maybe, x2: maybe, y1: maybe, y2: maybe }).map((clip) => ({ clip })) },
  { weight: 1, arbitrary: fc.constant({ unclip: true as const }) },
);
const frame = fc.array(operation, { maxLength: 25 });

function draw(output: OutputLike, operations: readonly Operation[]): string {
  for (const op of operations) {
    if ('write' in op) output.write(op.write[0], op.write[1], op.write[2], { transformers: op.write[3] });
    else if ('clip' in op) output.clip(op.clip);
    else output.unclip();
  }
  const { output: text, height } = output.get();
  return `${height}\n${text}`;
}

test("every frame is Ink's frame for the same writes, clips and transformers, one frame after another", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 }), fc.array(frame, { minLength: 1, maxLength: 4 }), (width, height, frames) => {
      for (const operations of frames) {
        assert.equal(draw(new Output({ width, height }), operations), draw(new InkOutput({ width, height }), operations));
      }
    }),
    { numRuns: 400 },
  );
});

test('a row shows what was written on it this frame, not what it showed before', () => {
  const frameWith = (count: number) => {
    const output = new Output({ width: 30, height: 3 });
    output.write(0, 0, 'drdeck', { transformers: [] });
    output.write(2, 1, `Services ${count}`, { transformers: [] });
    output.write(0, 2, 'q quit', { transformers: [] });
    return output.get().output;
  };
  assert.equal(frameWith(1), 'drdeck\n  Services 1\nq quit');
  assert.equal(frameWith(2), 'drdeck\n  Services 2\nq quit');
  assert.equal(frameWith(1), 'drdeck\n  Services 1\nq quit');
});
