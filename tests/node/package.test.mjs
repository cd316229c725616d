// The npm package a user installs (`npm pack` → `npm install ./wax-ml-0.1.0.tgz`): it carries the
// built .wasm, the jinja copy and the bundled models, nothing of the tests or the C++ sources, a
// LICENSE matching package.json, and works from another project by its name.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, it } from 'node:test';

import { installPackage, packedFiles } from '../helpers/installed-package.mjs';

const repoFile = (path) => new URL(`../../${path}`, import.meta.url);
/** Held-out espeak-ng speech for the installed package's bundled speech model. */
const SPEECH = fileURLToPath(repoFile('tests/fixtures/whisper-kjv-eval/sentence-1.wav'));

let project;
before(async () => { project = await installPackage(); });
after(async () => { await project?.remove(); });

it('package.json names wax-ml, has no runtime dependencies, and LICENSE is the Apache 2.0 text it names', async () => {
  const manifest = JSON.parse(await readFile(repoFile('package.json'), 'utf8'));
  assert.equal(manifest.name, 'wax-ml');
  assert.equal(manifest.license, 'Apache-2.0');
  assert.deepEqual(manifest.dependencies ?? {}, {});
  const license = await readFile(repoFile('LICENSE'), 'utf8');
  assert.match(license, /^\s*Apache License\s+Version 2\.0, January 2004/);
  assert.match(license, /END OF TERMS AND CONDITIONS/);
});

it('the tarball carries the .wasm builds, jinja, the bundled model, README and LICENSE, and no tests or C++', async () => {
  const files = await packedFiles();
  for (const file of ['LICENSE', 'README.md', 'package.json', 'js/src/index.js', 'js/src/index.d.ts', 'js/dist/wax.mjs',
    'js/dist/wax.wasm', 'js/dist/wax-threads.mjs', 'js/dist/wax-threads.wasm', 'js/dist/wax-threads.worker.js', 'js/dist/jinja.mjs',
    'models/kjv-llama-5m/config.json', 'models/kjv-llama-5m/model.safetensors', 'models/kjv-llama-5m/tokenizer.json',
    'models/kjv-llama-5m/tokenizer_config.json', 'models/kjv-llama-5m/generation_config.json',
    ...['config.json', 'generation_config.json', 'model.safetensors', 'preprocessor_config.json', 'tokenizer.json',
      'tokenizer_config.json'].map((name) => `models/whisper-kjv-tiny/${name}`)]) {
    assert.ok(files.includes(file), `${file} is in the tarball`);
  }
  const strays = files.filter((file) => /^(tests|src|wasm|build|bench|tools|web|examples|node_modules)\//.test(file));
  assert.deepEqual(strays, []);
  assert.deepEqual(project.files.toSorted(), files.toSorted(), 'the tarball holds what --dry-run listed');
});

it('installed offline into another project, `import … from \'wax-ml\'` generates, chats and transcribes with the bundled models (the defaults too)', async () => {
  const script = join(project.dir, 'use-wax.mjs');
  await writeFile(script, `
    import { pipeline } from 'wax-ml';
    const generator = await pipeline('text-generation', 'node_modules/wax-ml/models/kjv-llama-5m');
    const [{ generated_text }] = await generator('In the beginning', { max_new_tokens: 8, do_sample: false });
    const bundled = await pipeline('text-generation'); // no model: the package's own models/kjv-llama-5m
    const [{ generated_text: chat }] = await bundled([{ role: 'user', content: 'Who made the light?' }], { max_new_tokens: 8, do_sample: false });
    bundled.dispose();
    const transcriber = await pipeline('automatic-speech-recognition'); // the package's own models/whisper-kjv-tiny
    const { text: heard } = await transcriber(${JSON.stringify(SPEECH)});
    transcriber.dispose();
    console.log(JSON.stringify({ resolved: import.meta.resolve('wax-ml'), generated_text, answer: chat.at(-1), heard }));
    generator.dispose();
  `);
  const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: project.dir, timeout: 60_000 });
  const { resolved, generated_text, answer, heard } = JSON.parse(stdout);
  assert.equal(resolved, `file://${project.dir}/node_modules/wax-ml/js/src/index.js`, 'the installed copy, not this repository');
  assert.match(generated_text, /^In the beginning\b.{10,}/);
  assert.equal(answer.role, 'assistant');
  assert.ok(answer.content.length > 0);
  assert.match(heard, /\w{2,}/, 'the bundled speech model wrote words');
});
