/**
 * Checks the package's declarations: every type that an exported declaration refers to (a parameter,
 * a return type, a property, a base class, `typeof x`) and that is declared in the package is itself
 * exported by one of the package's entries (the "types" of package.json "exports"), so that a user can
 * name it. Walks the .d.ts files with the TypeScript compiler API.
 *
 *   node scripts/check-public-types.mjs [declarations dir]   (default dist/; run by `npm run build`)
 *
 * Exits 1 listing each referenced but unexported type with the exports that refer to it.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * The .d.ts entry files of package.json's "exports", under `declarations` (which stands for dist/).
 * @param {string} declarations
 * @returns {string[]}
 */
export function entryDeclarations(declarations) {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  return Object.values(pkg.exports).map((target) => join(declarations, relative('dist', target.types)));
}

/**
 * The types declared under `declarations` that exported declarations of `entries` refer to but no
 * entry exports, each with the exports that refer to it (`entry: name`).
 * @param {string} declarations folder of the .d.ts files
 * @param {string[]} entries the entry .d.ts files
 * @returns {{ type: string, file: string, usedBy: string[] }[]}
 */
export function unexportedTypes(declarations, entries) {
  const root = resolve(declarations) + sep;
  const program = ts.createProgram(entries, {
    noEmit: true, skipLibCheck: true, types: [], target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
  });
  const checker = program.getTypeChecker();
  const target = (symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  const ours = (symbol) => (symbol.declarations ?? []).some((node) => resolve(node.getSourceFile().fileName).startsWith(root));

  const exported = new Set();
  const queue = [];
  for (const file of entries) {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`${file}: no such declaration file (build the package first)`);
    const module = checker.getSymbolAtLocation(source);
    for (const symbol of module ? checker.getExportsOfModule(module) : []) {
      const declared = target(symbol);
      exported.add(declared);
      queue.push({ symbol: declared, usedBy: `${relative(declarations, file)}: ${symbol.name}` });
    }
  }

  const missing = new Map();
  const walked = new Set();
  while (queue.length > 0) {
    const { symbol, usedBy } = queue.pop();
    if (walked.has(symbol)) continue;
    walked.add(symbol);
    for (const declaration of symbol.declarations ?? []) {
      if (!resolve(declaration.getSourceFile().fileName).startsWith(root)) continue;
      for (const referenced of referencedSymbols(declaration, checker)) {
        const declared = target(referenced);
        if (declared.flags & ts.SymbolFlags.TypeParameter || !ours(declared) || exported.has(declared)) continue;
        const entry = missing.get(declared) ?? { type: declared.name, file: relative(declarations, declared.declarations[0].getSourceFile().fileName), usedBy: [] };
        if (!entry.usedBy.includes(usedBy)) entry.usedBy.push(usedBy);
        missing.set(declared, entry);
        // Walk it too, so that what it refers to is reported in the same run.
        queue.push({ symbol: declared, usedBy });
      }
    }
  }
  return [...missing.values()].sort((a, b) => (a.file + a.type < b.file + b.type ? -1 : 1));
}

/** Symbols that the type positions inside `node` name. */
function referencedSymbols(node, checker) {
  const found = [];
  const visit = (child) => {
    let name;
    if (ts.isTypeReferenceNode(child)) name = child.typeName;
    else if (ts.isExpressionWithTypeArguments(child)) name = child.expression;
    else if (ts.isTypeQueryNode(child)) name = child.exprName;
    else if (ts.isImportTypeNode(child)) name = child.qualifier;
    if (name) {
      const last = ts.isQualifiedName(name) ? name.right : ts.isPropertyAccessExpression(name) ? name.name : name;
      const symbol = checker.getSymbolAtLocation(last);
      if (symbol) found.push(symbol);
    }
    ts.forEachChild(child, visit);
  };
  visit(node);
  return found;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const given = process.argv[2] ?? 'dist';
  const declarations = isAbsolute(given) ? given : join(repoRoot, given);
  const problems = unexportedTypes(declarations, entryDeclarations(declarations));
  for (const problem of problems) {
    console.error(`${problem.file}: type ${problem.type} is referenced by ${problem.usedBy.slice(0, 3).join('; ')}${problem.usedBy.length > 3 ? ` and ${problem.usedBy.length - 3} more` : ''}, but no entry exports it`);
  }
  if (problems.length > 0) process.exit(1);
  console.info(`public types: every type referenced by the exports of ${entryDeclarations(declarations).length} entries is exported`);
}
