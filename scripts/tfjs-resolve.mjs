// Node resolve hook for running the TypeScript sources directly (tsx: bench, CLI tests).
// The library imports tfjs as ES modules (tfjs-core plus two of its side-effect modules: the
// gradients and the chained ops). Node would load the packages' CommonJS `main` bundles instead, and
// tfjs-core's ES modules import their siblings without file extensions ('./gradients'), which
// bundlers accept and Node does not. This hook sends the tfjs packages to their ES `module` entry
// and adds the '.js', so Node runs one copy of tfjs, as a bundler would.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const TFJS = /^@tensorflow\/tfjs-[a-z-]+$/;

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL ?? '';
  if (TFJS.test(specifier)) {
    const packageJson = createRequire(parent || import.meta.url).resolve(`${specifier}/package.json`);
    const { module } = JSON.parse(readFileSync(packageJson, 'utf8'));
    if (module) return { url: new URL(module, pathToFileURL(packageJson)).href, format: 'module', shortCircuit: true };
  }
  if (specifier.startsWith('.') && parent.includes('/node_modules/@tensorflow/') && !/\.[cm]?js$/.test(specifier)) {
    for (const candidate of [`${specifier}.js`, `${specifier}/index.js`]) {
      const url = new URL(candidate, parent);
      if (existsSync(fileURLToPath(url))) return { url: url.href, format: 'module', shortCircuit: true };
    }
  }
  if (specifier.startsWith('@tensorflow/tfjs-core/dist/') && !specifier.endsWith('.js')) {
    const resolved = await nextResolve(`${specifier}.js`, context);
    return { ...resolved, format: 'module' };
  }
  return nextResolve(specifier, context);
}
