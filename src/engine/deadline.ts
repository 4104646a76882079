// A request's deadline: the work, or DEADLINE_EXCEEDED when `timeoutMs` passes first (the timer is
// cleared when the work settles, and never keeps the process alive). The engine and the result
// cache (for requests that only joined others' texts) both answer 504 through it.
import { GlinerError } from '../errors.js';

export function withDeadline<T>(work: Promise<T>, timeoutMs: number, onExpire?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onExpire?.();
      reject(new GlinerError('DEADLINE_EXCEEDED', `The request did not finish within ${timeoutMs} ms.`));
    }, timeoutMs);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
