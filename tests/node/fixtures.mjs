// Reads the oracle fixtures (tests/fixtures, copied from ../shared/oracle) for the Node tests.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { readNpy } from '../helpers/npy.mjs';

export const LLAMA_FIXTURES = ['llama_gqa_untied', 'llama_gqa_tied', 'llama3_ropescaled_tied', 'llama_gqa_tied_bf16', 'llama_gqa_long_prompt'];

export const fixtureDir = (name) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

export async function npy(fixture, file) {
  return readNpy(await readFile(`${fixtureDir(fixture)}/${file}`));
}

/** Rows of an int64 npy as number[][]. */
export function rows({ dims, data }) {
  const seq = dims[1];
  return Array.from({ length: dims[0] }, (_, b) => Array.from(data.subarray(b * seq, (b + 1) * seq), Number));
}
