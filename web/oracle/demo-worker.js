// Module worker: runs the demo's model work off the page's main thread.
//   page → worker: { type: 'run', id, modelUrl }
//   worker → page: { type: 'ready' } once, then per run { type: 'progress', id, event } …
//                  and finally { type: 'result', id, result } or { type: 'error', id, error }
import { describeError } from '../ui.js';
import { runDemo } from './run-demo.js';

self.addEventListener('message', async ({ data }) => {
  if (data?.type !== 'run') return;
  const { id, modelUrl } = data;
  try {
    const result = await runDemo(modelUrl, (event) => self.postMessage({ type: 'progress', id, event }));
    self.postMessage({ type: 'result', id, result });
  } catch (error) {
    self.postMessage({ type: 'error', id, error: describeError(error) });
  }
});

self.postMessage({ type: 'ready' });
