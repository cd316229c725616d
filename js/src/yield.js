// Long wasm work runs in slices; between slices the event loop gets a turn so that abort
// signals, streamed output and the page stay live. A macrotask without setTimeout's 4 ms clamp.
const channel = typeof MessageChannel === 'function' && typeof setImmediate !== 'function' ? new MessageChannel() : null;
const waiting = [];
if (channel) channel.port1.onmessage = () => waiting.shift()?.();

export function yieldToEventLoop() {
  if (!channel) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
}

/** Calls `yieldToEventLoop` at most every `sliceMs` of work. */
export function sliceTimer(sliceMs = 8) {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < sliceMs) return;
    await yieldToEventLoop();
    last = performance.now();
  };
}
