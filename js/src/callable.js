/** A class whose instances can be called as functions (`tokenizer(text)`), as in transformers.js. */
export class Callable {
  constructor() {
    const closure = (...args) => closure._call(...args);
    return Object.setPrototypeOf(closure, new.target.prototype);
  }
}
