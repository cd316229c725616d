// Emscripten 3.1.6's ES6 glue still calls require() and reads __dirname on its Node path; an
// ES module has neither, so define them before the glue runs (Node only).
if (typeof process === 'object' && process.versions && process.versions.node) {
  const { createRequire } = await import('node:module');
  globalThis.require ??= createRequire(import.meta.url);
  globalThis.__dirname ??= new URL('.', import.meta.url).pathname;
}
