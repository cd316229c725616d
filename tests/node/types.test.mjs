// The TypeScript declarations (js/src/index.d.ts): a typed example that uses every export
// type-checks, and wrong calls do not (so the types are not `any`).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { it } from 'node:test';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));

function typeCheck(args) {
  return promisify(execFile)(process.execPath, [tsc, ...args], { cwd: root }).then(
    () => ({ ok: true, output: '' }), (error) => ({ ok: false, output: `${error.stdout}${error.stderr}` }));
}

it('the typed example type-checks against the declarations', async () => {
  const { ok, output } = await typeCheck(['--noEmit', '-p', 'tests/types']);
  assert.ok(ok, output);
});

it('a number as a prompt, an unknown dtype and the mean of token ids are type errors', async () => {
  const { ok, output } = await typeCheck(['--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
    '--target', 'ES2022', '--lib', 'ES2022,DOM', 'tests/types/wrong-call.ts']);
  assert.equal(ok, false);
  assert.match(output, /'"q5"' is not assignable|Type '"q5"'/);
  assert.match(output, /No overload matches this call|'number' is not assignable/);
  assert.match(output, /wrong-call\.ts\(\d+,\d+\): error TS2684: The 'this' context of type 'Tensor<"int64">'/);
});
