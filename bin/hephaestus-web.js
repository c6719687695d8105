#!/usr/bin/env node
// The published command runs the built CLI (vite builds src/cli/cli.ts into dist/node/cli.js).
import '../dist/node/cli.js';
