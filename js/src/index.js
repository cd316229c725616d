// wax: neural networks in WebAssembly, with the names transformers.js users know.
export { AutoModelForCausalLM, CausalLM } from './models/causal-lm.js';
export { Tensor } from './tensor.js';
export { env } from './env.js';
export { WaxError } from './errors.js';
