import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/**
 * One fenced TypeScript block of a README.
 *
 * The convention (root README, "Writing a package README"):
 * - ```` ```ts ```` compiles as written: each block is an ES module of its own in a Nest 12 ESM
 *   app (`module: nodenext`, `strict`, decorators), importing the packages by name;
 * - ```` ```ts fragment ```` is an excerpt (a method body, an options object, a signature list):
 *   not compiled, and never the quick start;
 * - a block whose first line is a file name comment (`// queues.ts`, `// src/worker.ts`) is that
 *   file: other blocks of the README import it (`./queues.js`);
 * - what a block leaves out, it says on a line whose comment has `...` (`// ... pool, schema:
 *   your app's`): the names on such a line that the block neither declares nor imports come from the README's
 *   file in `elided/` (its exports), and from nowhere else.
 */
export interface ReadmeBlock {
  /** README path relative to the repository root, e.g. `packages/nest-tenancy/README.md`. */
  readme: string;
  /** 1-based line of the block's first code line in the README. */
  line: number;
  /** The info string after the fence (`ts`, `ts fragment`...). */
  info: string;
  fragment: boolean;
  /** The heading the block sits under (`Quick start`...), '' before the first heading. */
  section: string;
  code: string;
  /** The file a `// name.ts` first line names, else undefined. */
  fileName?: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^`]*)$/;
const TS_INFO = /^(ts|typescript|tsx)(\s|$)/;
const FILE_NAME = /^\/\/\s*((?:[\w.-]+\/)*[\w.-]+\.(?:m?ts|tsx))\b/;

/** The TypeScript blocks of one README, with their lines and sections. */
export function readmeBlocks(readme: string, text: string): ReadmeBlock[] {
  const lines = text.split('\n');
  const blocks: ReadmeBlock[] = [];
  let section = '';
  let open: { fence: string; indent: number; info: string; start: number; body: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (open) {
      if (fence && fence[2]!.startsWith(open.fence) && !fence[3]!.trim()) {
        if (TS_INFO.test(open.info)) {
          const code = open.body.join('\n');
          blocks.push({
            readme,
            line: open.start + 1,
            info: open.info,
            fragment: /\bfragment\b/.test(open.info),
            section,
            code,
            fileName: FILE_NAME.exec(open.body[0]?.trim() ?? '')?.[1],
          });
        }
        open = undefined;
      } else {
        open.body.push(line.slice(Math.min(open.indent, line.length - line.trimStart().length)));
      }
      continue;
    }
    if (fence) {
      open = { fence: fence[2]!, indent: fence[1]!.length, info: fence[3]!.trim(), start: i + 1, body: [] };
      continue;
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) section = heading[1]!.trim();
  }
  return blocks;
}

/** Names a module declares or imports at its top level. */
export function topLevelNames(code: string): Set<string> {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const names = new Set<string>();
  const addBinding = (name: ts.BindingName) => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) addBinding(element.name);
  };
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause;
      if (clause.name) names.add(clause.name.text);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) for (const element of bindings.elements) names.add(element.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) addBinding(declaration.name);
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement) ||
        ts.isModuleDeclaration(statement)) &&
      statement.name &&
      ts.isIdentifier(statement.name)
    ) {
      names.add(statement.name.text);
    }
  }
  return names;
}

/**
 * The names a block says it leaves out: identifiers on its lines whose `//` comment contains `...`
 * (a spread in code, `{ ...payload }`, says nothing).
 */
export function elidedNames(code: string): Set<string> {
  const names = new Set<string>();
  for (const line of code.split('\n')) {
    const comment = line.indexOf('//');
    if (comment === -1 || !line.slice(comment).includes('...')) continue;
    for (const match of line.matchAll(/[A-Za-z_$][\w$]*/g)) names.add(match[0]);
  }
  return names;
}

/** The names a README's file in `elided/` exports. */
export function exportedNames(code: string): Set<string> {
  const source = ts.createSourceFile('elided.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const names = new Set<string>();
  for (const statement of source.statements) {
    const exported = ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword);
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) names.add(element.name.text);
    }
    if (!exported) continue;
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) if (ts.isIdentifier(declaration.name)) names.add(declaration.name.text);
    } else if ('name' in statement && statement.name && ts.isIdentifier(statement.name as ts.Node)) {
      names.add((statement.name as ts.Identifier).text);
    }
  }
  return names;
}

/** The compiler options of a user's NestJS 12 ESM app (the `nest12-esm` consumer's, without emit). */
export const BLOCK_COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  moduleDetection: ts.ModuleDetectionKind.Force,
  strict: true,
  esModuleInterop: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  useDefineForClassFields: false,
  skipLibCheck: true,
  types: ['node'],
  noEmit: true,
};

/** Where each block landed, so a diagnostic maps back to the README. */
export interface PlacedBlock extends ReadmeBlock {
  /** The file written for the block (absolute). */
  file: string;
  /** Names imported from the README's `elided/` file. */
  fromElided: string[];
}

export interface CheckedReadmes {
  blocks: PlacedBlock[];
  /** Diagnostics per block file (absolute path), already formatted with README lines. */
  diagnostics: Map<string, string[]>;
  /** Diagnostics of files that are not blocks (the `elided/` files, a named file twice...). */
  other: string[];
  /** Per README: the `elided/` exports no block used. */
  unusedElided: Map<string, string[]>;
}

/**
 * Writes every compiled block of `readmes` (README path -> text) into `workDir`, one folder per
 * README, with the README's `elided/<package>.ts` beside them, and type-checks them all in one
 * program whose modules resolve from `workDir` upwards (so `workDir` must sit inside a project
 * that has the packages installed).
 */
export function checkReadmes(readmes: Record<string, string>, workDir: string, elidedDir: string): CheckedReadmes {
  mkdirSync(workDir, { recursive: true });
  writeFileSync(join(workDir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  const placed: PlacedBlock[] = [];
  const other: string[] = [];
  const unusedElided = new Map<string, string[]>();
  const roots: string[] = [];

  for (const [readme, text] of Object.entries(readmes)) {
    const folder = join(workDir, readmeFolder(readme));
    mkdirSync(folder, { recursive: true });
    const elidedSource = join(elidedDir, `${readmeFolder(readme)}.ts`);
    const elidedCode = existsSync(elidedSource) ? readFileSync(elidedSource, 'utf8') : '';
    const available = exportedNames(elidedCode);
    const used = new Set<string>();
    if (elidedCode) {
      writeFileSync(join(folder, '__elided.ts'), elidedCode);
      roots.push(join(folder, '__elided.ts'));
    }
    const claimed = new Map<string, number>();
    for (const block of readmeBlocks(readme, text)) {
      if (block.fragment) continue;
      const name = block.fileName ?? `block-${block.line}.ts`;
      if (claimed.has(name)) {
        other.push(`${readme}:${block.line}: the file name ${name} is already taken by the block at line ${claimed.get(name)}`);
        continue;
      }
      claimed.set(name, block.line);
      const declared = topLevelNames(block.code);
      const fromElided = [...elidedNames(block.code)].filter((id) => available.has(id) && !declared.has(id)).sort();
      fromElided.forEach((id) => used.add(id));
      const file = join(folder, name);
      mkdirSync(dirname(file), { recursive: true });
      const importPath = relative(dirname(file), join(folder, '__elided.js')).replace(/^(?!\.)/, './');
      // Appended, so the block's lines keep their numbers (imports are hoisted wherever they sit).
      const suffix = fromElided.length ? `\nimport { ${fromElided.join(', ')} } from '${importPath}';\n` : '\n';
      writeFileSync(file, block.code + suffix);
      placed.push({ ...block, file, fromElided });
      roots.push(file);
    }
    const unused = [...available].filter((id) => !used.has(id));
    if (unused.length) unusedElided.set(readme, unused);
  }

  const program = ts.createProgram(roots, BLOCK_COMPILER_OPTIONS);
  const diagnostics = new Map<string, string[]>(placed.map((block) => [block.file, []]));
  const byFile = new Map(placed.map((block) => [block.file, block]));
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const file = diagnostic.file?.fileName;
    const block = file ? byFile.get(file) : undefined;
    if (!block || diagnostic.start === undefined) {
      const where =
        file && diagnostic.start !== undefined
          ? `${relative(workDir, file)}:${diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start).line + 1}`
          : 'program';
      other.push(`${where}: TS${diagnostic.code}: ${message}`);
      continue;
    }
    const { line, character } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start);
    const source = block.code.split('\n')[line] ?? '';
    diagnostics.get(block.file)!.push(`${block.readme}:${block.line + line}:${character + 1} TS${diagnostic.code}: ${message}\n    ${source.trim()}`);
  }
  return { blocks: placed, diagnostics, other, unusedElided };
}

/** `packages/nest-tenancy/README.md` -> `nest-tenancy`; the root README -> `root`. */
export function readmeFolder(readme: string): string {
  const parts = readme.split('/');
  return parts.length > 1 ? parts[parts.length - 2]! : 'root';
}

/** The root README and every package README (path relative to `root` -> text). */
export function suiteReadmes(root: string): Record<string, string> {
  const readmes: Record<string, string> = { 'README.md': readFileSync(join(root, 'README.md'), 'utf8') };
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    const path = join(root, 'packages', name, 'README.md');
    if (existsSync(path)) readmes[`packages/${name}/README.md`] = readFileSync(path, 'utf8');
  }
  return readmes;
}
