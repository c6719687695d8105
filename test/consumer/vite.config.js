// The consumer app's own vite config: every page of this folder is an input (one per bundle case),
// and the manifest tells which files each page loads.
import { readdirSync } from 'node:fs';
import { defineConfig } from 'vite';

const pages = readdirSync(import.meta.dirname).filter((name) => name.endsWith('.html'));

export default defineConfig({
  build: {
    manifest: true,
    rollupOptions: { input: Object.fromEntries(pages.map((name) => [name.replace(/\.html$/, ''), name])) },
  },
  worker: { format: 'es' },
});
