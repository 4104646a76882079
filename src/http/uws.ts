// Loading uWebSockets.js, and refusing its silent fallback.
//
// The package we install (an npm-published build of uWS.js) quietly swaps in a slow pure-Node
// shim when its native binary does not load (wrong glibc, wrong Node ABI). We want to know: the
// native addon's App is a native function; the shim's is JavaScript.
import { createRequire } from 'node:module';
import type * as UwsTypes from 'uWebSockets.js';
import { GlinerError } from '../errors.js';

export type Uws = typeof UwsTypes;

const require = createRequire(import.meta.url);

export interface LoadedUws {
  readonly uws: Uws;
  readonly native: boolean;
}

export function isNativeUws(uws: Uws): boolean {
  return /\[native code\]/.test(Function.prototype.toString.call(uws.App));
}

/** Load uWS; throws UWS_NATIVE_MISSING when only the shim loaded, unless `allowFallback`. */
export function loadUws(allowFallback: boolean): LoadedUws {
  // The package prints its own warning on fallback; silence it here and report it ourselves.
  const warn = console.warn;
  const log = console.log;
  console.warn = () => undefined;
  console.log = () => undefined;
  let uws: Uws;
  try {
    uws = require('uWebSockets.js') as Uws;
  } finally {
    console.warn = warn;
    console.log = log;
  }
  const native = isNativeUws(uws);
  if (!native && !allowFallback) {
    throw new GlinerError(
      'UWS_NATIVE_MISSING',
      `uWebSockets.js could not load its native binary for ${process.platform}-${process.arch} (Node ABI ${process.versions.modules}) and fell back to a slow pure-Node shim. Use a supported platform, or set ALLOW_UWS_FALLBACK=true to run anyway.`,
    );
  }
  return { uws, native };
}
