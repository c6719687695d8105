#!/usr/bin/env node
// The published command runs the built CLI (vite builds examples/node/cli.ts into dist/cli.js).
import '../dist/cli.js';
