// `node --import ./scripts/register-tfjs-resolve.mjs`: installs scripts/tfjs-resolve.mjs. tfjs-core's
// Node platform module calls `require('util')` even in its ES build, so a `require` is provided.
import { createRequire, register } from 'node:module';

globalThis.require ??= createRequire(import.meta.url);
register('./tfjs-resolve.mjs', import.meta.url);
