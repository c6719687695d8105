// tfjs-core's ES build (which the node project runs, see vitest.config.ts) calls `require('util')` in
// its Node platform module; ES modules have no `require`, so one is provided before any test loads tfjs.
import { createRequire } from 'node:module';

(globalThis as { require?: NodeJS.Require }).require ??= createRequire(import.meta.url);
