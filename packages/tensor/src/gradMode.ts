import { ValueError } from './shape';

let gradEnabled = true;

/** True unless running inside {@link noGrad}. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording operations for autograd (evaluation, optimizer updates,
 * metric computation). Nested calls are fine; the previous mode is restored even if `fn` throws.
 * `fn` must be synchronous: an async callback is refused, because the mode is restored when it
 * returns its Promise, and every operation after its first `await` would be recorded.
 *
 * @example
 * const logits = noGrad(() => model.call(x));
 */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  let result: T;
  try {
    result = fn();
  } finally {
    gradEnabled = prev;
  }
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    // the caller never gets this promise: keep its rejection from surfacing as unhandled
    (result as PromiseLike<unknown>).then(undefined, () => undefined);
    throw new ValueError(
      'noGrad: the callback returned a Promise; operations after its first await would run with gradients recorded. ' +
        'Await outside and keep the callback synchronous, e.g. `const x = await next(); const y = noGrad(() => model.call(x));`',
    );
  }
  return result;
}
