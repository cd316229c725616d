// Every example in examples/ runs to the end and prints what it promises.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { it } from 'node:test';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = (name) => promisify(execFile)(process.execPath, [`examples/${name}`], { cwd: root, timeout: 60_000 });

it('text-generation.mjs continues the prompt, answers the chat and streams', async () => {
  const { stdout } = await run('text-generation.mjs');
  const lines = stdout.trim().split('\n');
  assert.ok(lines[0].startsWith('In the beginning'), lines[0]);
  assert.ok(lines.some((l) => l.startsWith('assistant: ')));
  assert.ok(lines.at(-1).length > 20);
});

it('feature-extraction.mjs prints two embeddings and a similarity', async () => {
  const { stdout } = await run('feature-extraction.mjs');
  assert.match(stdout, /embeddings \[2,64\], pooling mean, normalized true/);
  assert.match(stdout, /cos_sim = -?[01]\.\d{4}/);
});

it('tokenizer.mjs round-trips and renders the chat template', async () => {
  const { stdout } = await run('tokenizer.mjs');
  assert.match(stdout, /In the beginning God created the heaven and the earth\./);
  assert.match(stdout, /<\|im_start\|>user\nHello<\|im_end\|>\n<\|im_start\|>assistant/);
});

it('causal-lm.mjs runs a q8 model', async () => {
  const { stdout } = await run('causal-lm.mjs');
  assert.match(stdout, /logits \[1,\d+,4096\]/);
  assert.match(stdout, /And the LORD said/);
  assert.match(stdout, /weights_bytes/);
});

it('speech-recognition.mjs transcribes a file and a long recording window by window with timestamps', async () => {
  const { stdout } = await run('speech-recognition.mjs');
  const lines = stdout.trim().split('\n');
  assert.match(lines[0], /^text: \w+/);
  assert.ok(lines.filter((l) => /^window \d+\.\d-\d+\.\d s done$/.test(l)).length >= 6, stdout);
  assert.ok(lines.filter((l) => /^\[\d+\.\d\d → (\d+\.\d\d|…)\] \w/.test(l)).length >= 5, stdout);
});
