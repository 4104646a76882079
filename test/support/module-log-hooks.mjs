// The resolve hook behind module-log.mjs (runs on Node's module-hooks thread).
import { appendFileSync } from 'node:fs';

const LOG = process.env.GLINER_MODULE_LOG;

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (LOG !== undefined && LOG !== '') appendFileSync(LOG, `${result.url}\n`);
  return result;
}
