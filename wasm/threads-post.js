// The threaded module's extras for js/src/runtime.js: Node must be able to exit while pthread
// workers idle, and dispose() must be able to end them. (Plain ES5: the glue's optimizer parses it.)
Module['unrefThreads'] = function () {
  PThread.unusedWorkers.concat(PThread.runningWorkers).forEach(function (worker) {
    if (worker.unref) worker.unref();
  });
};
Module['terminateThreads'] = function () {
  PThread.terminateAllThreads();
};
