// The public API report: every name each package entry point exports, with its signature,
// written to api/<entry>.api.md. CI regenerates it and fails when it differs from the
// committed copy, so the surface changes only on purpose (`npm run api:update` after an
// intended change). It also fails when an exported signature mentions `any`.
//
//   node tools/api-report.mjs          write the report
//   node tools/api-report.mjs --check  compare with the committed report; exit 1 on a difference
import ts from 'typescript';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'api');
const check = process.argv.includes('--check');

/** package.json subpath -> TypeScript source of that entry point. */
function entryPoints() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const entries = [];
  for (const key of Object.keys(pkg.exports)) {
    if (key === './package.json') continue;
    const sub = key === '.' ? '' : key.slice(2);
    const candidates = sub === '' ? ['src/index.ts'] : [`src/${sub}/index.ts`, `src/${sub}.ts`];
    const file = candidates.map((c) => join(root, c)).find((c) => existsSync(c));
    if (!file) throw new Error(`api-report: no source for export '${key}' (tried ${candidates.join(', ')})`);
    entries.push({
      name: sub === '' ? 'medinets' : `medinets/${sub}`,
      slug: sub === '' ? 'index' : sub,
      file,
    });
  }
  return entries;
}

const flags =
  ts.TypeFormatFlags.NoTruncation |
  ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType |
  ts.TypeFormatFlags.WriteArrowStyleSignature;

/** Source text with white space folded: stable where the checker's union order is not. */
const text = (node) => node.getText().replace(/\s+/g, ' ');

/** A signature as written in the source (parameters with their defaults), else as checked. */
function sigText(checker, decl) {
  const sig = checker.getSignatureFromDeclaration(decl);
  const params = decl.parameters.map(text).join(', ');
  const tps = decl.typeParameters ? `<${decl.typeParameters.map(text).join(', ')}>` : '';
  const ret = decl.type
    ? text(decl.type)
    : sig
      ? checker.typeToString(sig.getReturnType(), decl, flags)
      : 'void';
  return ts.isConstructorDeclaration(decl) ? `(${params})` : `${tps}(${params}): ${ret}`;
}

function memberLines(checker, decls, indent) {
  const lines = [];
  for (const decl of decls) {
    const members = decl.members ?? [];
    for (const m of members) {
      const mods = ts.canHaveModifiers(m) ? (ts.getModifiers(m) ?? []) : [];
      if (
        mods.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword)
      )
        continue;
      if (m.name && ts.isPrivateIdentifier(m.name)) continue;
      const isStatic = mods.some((x) => x.kind === ts.SyntaxKind.StaticKeyword);
      const isReadonly = mods.some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword);
      const prefix = `${indent}${isStatic ? 'static ' : ''}${isReadonly ? 'readonly ' : ''}`;
      if (ts.isConstructorDeclaration(m)) {
        lines.push(`${indent}constructor${sigText(checker, m)}`);
        continue;
      }
      const name = m.name ? m.name.getText() : ts.isIndexSignatureDeclaration(m) ? '' : '(call)';
      const optional = m.questionToken ? '?' : '';
      if (ts.isCallSignatureDeclaration(m)) {
        lines.push(`${indent}${sigText(checker, m)};`);
      } else if (ts.isMethodDeclaration(m) || ts.isMethodSignature(m)) {
        lines.push(`${prefix}${name}${optional}${sigText(checker, m)};`);
      } else if (ts.isIndexSignatureDeclaration(m)) {
        lines.push(`${prefix}${m.getText().replace(/\s+/g, ' ')}`);
      } else if (ts.isGetAccessor(m)) {
        lines.push(
          `${prefix}get ${name}(): ${checker.typeToString(checker.getTypeAtLocation(m), undefined, flags)};`,
        );
      } else if (ts.isSetAccessor(m)) {
        continue;
      } else {
        const t = m.type ? text(m.type) : checker.typeToString(checker.getTypeAtLocation(m), m, flags);
        lines.push(`${prefix}${name}${optional}: ${t};`);
      }
    }
  }
  return lines;
}

function describe(checker, name, symbol) {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const decls = target.declarations ?? [];
  const out = [];
  const deprecated = ts
    .getJSDocTags(decls[0] ?? ts.factory.createIdentifier('x'))
    .some((t) => t.tagName.text === 'deprecated');
  const dep = deprecated ? '/** @deprecated */ ' : '';
  if (target.flags & ts.SymbolFlags.Class) {
    const decl = decls.find(ts.isClassDeclaration);
    const heritage = decl?.heritageClauses?.map((h) => h.getText()).join(' ') ?? '';
    out.push(
      `${dep}class ${name}${heritage ? ' ' + heritage : ''} {`,
      ...memberLines(checker, decls.filter(ts.isClassDeclaration), '  '),
      '}',
    );
  } else if (target.flags & ts.SymbolFlags.Interface) {
    const ifaces = decls.filter(ts.isInterfaceDeclaration);
    const heritage = ifaces[0]?.heritageClauses?.map((h) => h.getText()).join(' ') ?? '';
    const tps = ifaces[0]?.typeParameters
      ? `<${ifaces[0].typeParameters.map((p) => p.getText()).join(', ')}>`
      : '';
    out.push(
      `${dep}interface ${name}${tps}${heritage ? ' ' + heritage : ''} {`,
      ...memberLines(checker, ifaces, '  '),
      '}',
    );
  } else if (target.flags & ts.SymbolFlags.TypeAlias) {
    const decl = decls.find(ts.isTypeAliasDeclaration);
    const tps = decl?.typeParameters ? `<${decl.typeParameters.map((p) => p.getText()).join(', ')}>` : '';
    out.push(`${dep}type ${name}${tps} = ${decl ? decl.type.getText().replace(/\s+/g, ' ') : '?'};`);
  } else if (target.flags & ts.SymbolFlags.Function) {
    const fns = decls.filter(ts.isFunctionDeclaration);
    const overloads = fns.length > 1 ? fns.filter((d) => !d.body) : fns;
    for (const d of overloads) out.push(`${dep}function ${name}${sigText(checker, d)};`);
  } else if (target.flags & ts.SymbolFlags.Enum) {
    out.push(
      `${dep}enum ${name} { ${decls.flatMap((d) => d.members?.map((m) => m.getText()) ?? []).join(', ')} }`,
    );
  } else if (target.flags & ts.SymbolFlags.Variable) {
    const d = decls[0];
    const init = d && ts.isVariableDeclaration(d) ? d.initializer : undefined;
    const t =
      d && ts.isVariableDeclaration(d) && d.type
        ? text(d.type)
        : init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))
          ? sigText(checker, init).replace(/\): /, ') => ')
          : checker.typeToString(checker.getTypeOfSymbolAtLocation(target, d), d, flags);
    out.push(`${dep}const ${name}: ${t};`);
  } else if (target.flags & ts.SymbolFlags.Namespace || target.flags & ts.SymbolFlags.ValueModule) {
    out.push(`namespace ${name};`);
  } else {
    out.push(`${name}: (unknown kind)`);
  }
  return out.join('\n').replace(/import\("[^"]*"\)\./g, '');
}

function report(entries) {
  const program = ts.createProgram(
    entries.map((e) => e.file),
    ts.parseJsonConfigFileContent(JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')), ts.sys, root)
      .options,
  );
  const checker = program.getTypeChecker();
  const files = new Map();
  const anyUses = [];
  for (const e of entries) {
    const sf = program.getSourceFile(e.file);
    const mod = checker.getSymbolAtLocation(sf);
    const exports = mod ? checker.getExportsOfModule(mod) : [];
    const blocks = exports
      .map((s) => ({ name: s.getName(), text: describe(checker, s.getName(), s) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const b of blocks)
      if (/\bany\b/.test(b.text.replace(/'[^']*'/g, '').replace(/, any, any>/g, '>')))
        anyUses.push(`${e.name}: ${b.name}`);
    const text = [
      `# API report: \`${e.name}\``,
      '',
      `Generated by \`tools/api-report.mjs\` from \`${relative(root, e.file)}\`; do not edit. ${blocks.length} exported names.`,
      '',
      '```ts',
      blocks.map((b) => b.text).join('\n\n'),
      '```',
      '',
    ].join('\n');
    files.set(`${e.slug.replace(/\//g, '-')}.api.md`, { text, count: blocks.length, name: e.name });
  }
  return { files, anyUses };
}

const { files, anyUses } = report(entryPoints());
for (const [f, { count, name }] of files)
  console.log(`${name.padEnd(20)} ${String(count).padStart(4)} exported names  (api/${f})`);
if (anyUses.length) {
  console.error(`api-report: exported signatures mention 'any':\n  ${anyUses.join('\n  ')}`);
  process.exitCode = 1;
}
if (check) {
  const stale = [];
  for (const [f, { text }] of files) {
    const p = join(outDir, f);
    if (!existsSync(p) || readFileSync(p, 'utf8') !== text) stale.push(f);
  }
  const extra = existsSync(outDir)
    ? readdirSync(outDir).filter((f) => f.endsWith('.api.md') && !files.has(f))
    : [];
  if (stale.length || extra.length) {
    console.error(
      `api-report: the public API differs from the committed report (${[...stale, ...extra].map((f) => 'api/' + f).join(', ')}).\n` +
        'If the change is intended, run `npm run api:update` and commit api/.',
    );
    process.exitCode = 1;
  }
} else {
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir))
    if (f.endsWith('.api.md') && !files.has(f)) unlinkSync(join(outDir, f));
  for (const [f, { text }] of files) {
    const tmp = join(outDir, `.${f}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(outDir, f));
  }
}
