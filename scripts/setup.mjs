#!/usr/bin/env node
// Prepares a checkout for `npm test` / `npm run train` / `npm run bench`; plain Node, no dependencies.
// Idempotent and fast (well under a second) when everything is already present.
//
//   node scripts/setup.mjs              npm dependencies + every system package the tests need
//   node scripts/setup.mjs --node-only  npm dependencies + what Node WebGPU needs (no Chromium, no PyTorch);
//                                       and, when bin/hephaestus-web.js runs dist/, builds dist/ if it is
//                                       missing or older than the sources
//
// 1. npm: `npm ci` (`npm install` without a lockfile) when node_modules is missing or older than
//    package-lock.json. Install scripts are not run (`--ignore-scripts`): no dependency needs one
//    (webgpu's only fixes a macOS quarantine flag; esbuild, rolldown and sharp ship prebuilt binaries
//    as optional packages), npm 11 refuses unapproved ones anyway, and the package's own `prepare`
//    (a full build) is not needed to test.
// 2. Debian packages (dpkg/apt): installed with apt-get when missing and running as root; otherwise
//    the script fails and names them (with --node-only it only warns: training falls back to the CPU).
//    HEPHAESTUS_SKIP_SYSTEM_SETUP=1 skips this step.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const nodeOnly = args.has('--node-only');
for (const arg of args) {
  if (arg !== '--node-only') fail(`unknown option ${arg} (usage: node scripts/setup.mjs [--node-only])`);
}

/**
 * Debian 12 packages, with why. Measured: Dawn (the `webgpu` package) dlopens the unversioned
 * `libEGL.so`, which only libegl-dev provides; glvnd's libEGL.so.1 (libegl1) then loads Mesa's
 * libEGL_mesa.so.0 (libegl-mesa0), which runs llvmpipe from swrast_dri.so (libgl1-mesa-dri).
 * GLES entry points come through eglGetProcAddress, so libgles2 is not needed.
 */
const NODE_WEBGPU_PACKAGES = ['libegl-dev', 'libegl1', 'libegl-mesa0', 'libgl1-mesa-dri'];
/** Chromium for the browser tests (its chromium-common dependency carries SwiftShader). */
const BROWSER_PACKAGES = ['chromium'];
/** PyTorch for the reference checks, for Debian's own /usr/bin/python3. */
const PYTHON_PACKAGES = ['python3-torch'];

function log(message) {
  console.log(`setup: ${message}`);
}

function fail(message) {
  console.error(`setup: ${message}`);
  process.exit(1);
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) {
    fail(`\`${[command, ...commandArgs].join(' ')}\` failed (exit ${result.status ?? result.signal})`);
  }
}

// --- 1. npm dependencies -------------------------------------------------------------------------

function ensureNodeModules() {
  const lock = join(root, 'package-lock.json');
  const hasLock = existsSync(lock);
  const reference = mtime(hasLock ? lock : join(root, 'package.json'));
  // npm rewrites node_modules/.package-lock.json on every install, after package-lock.json.
  const installed = mtime(join(root, 'node_modules', '.package-lock.json'));
  let reason;
  if (!existsSync(join(root, 'node_modules'))) reason = 'node_modules is missing';
  else if (installed === undefined) reason = 'node_modules has no record of an npm install';
  else if (reference !== undefined && installed < reference) {
    reason = `node_modules is older than ${hasLock ? 'package-lock.json' : 'package.json'}`;
  }
  if (!reason) return;
  const npmArgs = [hasLock ? 'ci' : 'install', '--ignore-scripts', '--no-audit', '--no-fund'];
  log(`${reason}: running npm ${npmArgs.join(' ')}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  run(npm, npmArgs);
  log(`installed npm dependencies (npm ${npmArgs[0]})`);
}

// --- 2. Debian packages --------------------------------------------------------------------------

/** Which of `packages` dpkg does not list as installed; undefined when there is no dpkg. */
function missingDebianPackages(packages) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Package}\t${db:Status-Abbrev}\n', ...packages], {
    encoding: 'utf8',
  });
  if (result.error) return undefined;
  const installed = new Set();
  for (const line of result.stdout.split('\n')) {
    const [name, status] = line.split('\t');
    // "ii " = wanted install, installed, no error. Architecture-qualified names lose the suffix.
    if (name && status?.startsWith('ii')) installed.add(name.split(':')[0]);
  }
  return packages.filter((name) => !installed.has(name));
}

function installDebianPackages(missing, why) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot && nodeOnly) {
    // Training still runs without them, on the tfjs CPU backend (prefer: 'auto' falls back).
    log(
      `warning: missing Debian packages needed ${why}: ${missing.join(' ')}; WebGPU will fall back to the CPU.\n` +
        `  install them as root:  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`,
    );
    return;
  }
  if (!isRoot) {
    fail(
      `missing Debian packages needed ${why}: ${missing.join(' ')}\n` +
        `  install them as root:  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(' ')}\n` +
        `  (or set HEPHAESTUS_SKIP_SYSTEM_SETUP=1 to skip this check)`,
    );
  }
  log(`installing Debian packages: ${missing.join(' ')} (apt-get; this can take a few minutes)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Wait for the dpkg lock instead of failing when another apt run holds it.
  const lockWait = ['-o', 'DPkg::Lock::Timeout=300'];
  run('apt-get', [...lockWait, 'update', '-qq'], { env });
  run('apt-get', [...lockWait, 'install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  const still = missingDebianPackages(missing) ?? [];
  if (still.length > 0) fail(`apt-get finished but these are still not installed: ${still.join(' ')}`);
  for (const name of missing) log(`installed ${name} (Debian package)`);
}

function ensureSystemPackages() {
  if (process.env.HEPHAESTUS_SKIP_SYSTEM_SETUP === '1') return;
  const wanted = nodeOnly
    ? NODE_WEBGPU_PACKAGES
    : [...NODE_WEBGPU_PACKAGES, ...BROWSER_PACKAGES, ...PYTHON_PACKAGES];
  const why = nodeOnly
    ? 'for WebGPU in Node (Mesa llvmpipe through EGL)'
    : 'by the tests (Mesa EGL for Node WebGPU, Chromium, PyTorch)';
  const missing = missingDebianPackages(wanted);
  if (missing === undefined) {
    // Not Debian-like: say what the tests expect and let them report what is really absent.
    log(
      `no dpkg here, system packages not checked; the tests expect Mesa EGL (libEGL.so + llvmpipe)` +
        (nodeOnly ? '' : ', Chromium at /usr/bin/chromium (or CHROMIUM_PATH) and PyTorch for /usr/bin/python3'),
    );
    return;
  }
  if (missing.length === 0) return;
  if (!existsSync('/usr/bin/apt-get')) fail(`missing Debian packages ${why}: ${missing.join(' ')} (and no apt-get)`);
  installDebianPackages(missing, why);
}

// --- 3. dist/ for the CLI (--node-only, i.e. `npm run train`) ----------------------------------------------------------

/** Newest modification time under `dir` (files only), or 0. */
function newestIn(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestIn(path));
    else if (entry.isFile()) newest = Math.max(newest, mtime(path) ?? 0);
  }
  return newest;
}

/** Builds dist/ when bin/hephaestus-web.js runs the built CLI and dist/ is missing or stale. */
function ensureBuild() {
  let bin = '';
  try {
    bin = readFileSync(join(root, 'bin', 'hephaestus-web.js'), 'utf8');
  } catch {
    return;
  }
  if (!bin.includes('dist/')) return;
  const built = mtime(join(root, 'dist', 'node', 'cli.js'));
  const sources = Math.max(
    newestIn(join(root, 'src')),
    mtime(join(root, 'vite.config.ts')) ?? 0,
  );
  if (built !== undefined && built >= sources) return;
  log(built === undefined ? 'dist/ is missing: building it (vite build)' : 'dist/ is older than the sources: rebuilding (vite build)');
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  run(process.execPath, [vite, 'build', '--logLevel', 'warn']);
  run(process.execPath, [vite, 'build', '--mode', 'node', '--logLevel', 'warn']);
  log('built dist/ (vite build)');
}

ensureNodeModules();
ensureSystemPackages();
if (nodeOnly) ensureBuild();
