// Text generation with the bundled model: a prompt, a chat, and streaming.
//   node examples/text-generation.mjs
import { pipeline } from 'wax-ml';

const generator = await pipeline('text-generation', new URL('../models/kjv-llama-5m/', import.meta.url).pathname);

const [{ generated_text }] = await generator('In the beginning', { max_new_tokens: 30, do_sample: false });
console.log(generated_text);

const [{ generated_text: chat }] = await generator([{ role: 'user', content: 'Who made the light?' }], { max_new_tokens: 30, seed: 7 });
console.log(`assistant: ${chat.at(-1).content}`);

for await (const piece of generator.stream('And God said', { max_new_tokens: 30, seed: 1 })) process.stdout.write(piece);
process.stdout.write('\n');
generator.dispose();
