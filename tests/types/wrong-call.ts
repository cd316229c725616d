// Must NOT type-check (tests/node/types.test.mjs checks that tsc rejects it): a number as a prompt
// and an unknown dtype.
import { pipeline } from 'wax-ml';

const generator = await pipeline('text-generation', 'models/kjv-llama-5m', { dtype: 'q5' });
await generator(42);
