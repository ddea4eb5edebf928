#!/usr/bin/env node
// A removed or changed export needs a changeset that bumps the package at least a minor
// (a major from 1.0.0 on). Compares each package's API report (packages/<pkg>/api/*.api.md, see
// scripts/api-report.mjs) in the working tree with the same report at a base revision:
//   API_BASE (any git revision), else `git merge-base HEAD origin/main` when origin/main exists, else HEAD.
// A report line of the base that is gone from the working tree is a removed or changed signature;
// added lines alone (a new export, a new member) are not breaking. The changeset must be new or
// edited since the base (committed since, staged, or not yet added): an older pending changeset
// does not tell the people who upgrade about this change.
//
// Run from anywhere inside the repository: `pnpm check:api-changesets`. Exits 1 when a package
// lacks its changeset, 2 when the base cannot be resolved.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const REPORT_PATH = /^packages\/([^/]+)\/api\/[^/]+\.api\.md$/;
const BUMP_RANK = { none: 0, patch: 1, minor: 2, major: 3 };

const root = tryGit(['rev-parse', '--show-toplevel'], process.cwd())?.trim();
if (!root) {
  console.error('check-api-changesets: run it inside the git repository (it compares the API reports with a git revision).');
  process.exit(2);
}
const base = resolveBase();
const changesets = changesetsSinceBase();

const failures = [];
for (const path of reportPaths()) {
  const [, folder] = REPORT_PATH.exec(path);
  const manifestPath = join(root, 'packages', folder, 'package.json');
  // A package deleted from the repository is no longer published: nothing to bump.
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (manifest.private) continue;

  const before = base ? gitShow(base.rev, path) : undefined;
  if (before === undefined) {
    console.log(`${manifest.name}: new API report, nothing to compare`);
    continue;
  }
  const current = existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : '';
  const removed = removedLines(before, current);
  if (!removed.length) {
    console.log(`${manifest.name}: no export removed or changed`);
    continue;
  }

  const required = major(manifest.version) >= 1 ? 'major' : 'minor';
  const match = changesets.find((c) => BUMP_RANK[c.releases.get(manifest.name)] >= BUMP_RANK[required]);
  if (match) {
    console.log(`${manifest.name}: ${removed.length} removed or changed line(s), announced by ${match.file} (${match.releases.get(manifest.name)})`);
    continue;
  }
  const found = changesets.filter((c) => c.releases.has(manifest.name)).map((c) => `${c.file} (${c.releases.get(manifest.name)})`);
  const shown = removed.slice(0, 12).map((line) => `    - ${line}`);
  if (removed.length > shown.length) shown.push(`    ... and ${removed.length - shown.length} more`);
  failures.push(
    [
      `${manifest.name} ${manifest.version}: ${path} lost or changed ${removed.length} line(s) since ${base.label}:`,
      ...shown,
      `  This breaks users: add a changeset with at least "${manifest.name}": ${required}` +
        (found.length ? ` (found only: ${found.join(', ')})` : '') +
        `, e.g. .changeset/<short-name>.md:\n` +
        `    ---\n    "${manifest.name}": ${required}\n    ---\n\n` +
        `    What changed and how to upgrade (the old call, the new call).`,
    ].join('\n'),
  );
}

if (failures.length) {
  console.error(`\nBreaking API changes without a changeset:\n\n${failures.join('\n\n')}`);
  process.exit(1);
}
console.log(`\nEvery removed or changed export carries a changeset (compared with ${base ? base.label : 'nothing: no commit yet'}).`);

/** The revision to compare with: API_BASE, the merge base with origin/main, or HEAD. */
function resolveBase() {
  const fromEnv = process.env.API_BASE?.trim();
  if (fromEnv) {
    const rev = tryGit(['rev-parse', '--verify', '--quiet', `${fromEnv}^{commit}`]);
    if (!rev) {
      console.error(`API_BASE=${fromEnv} is not a commit in this repository: set it to a branch, tag or commit (or unset it).`);
      process.exit(2);
    }
    return { rev: rev.trim(), label: `API_BASE=${fromEnv}` };
  }
  if (tryGit(['rev-parse', '--verify', '--quiet', 'refs/remotes/origin/main'])) {
    const mergeBase = tryGit(['merge-base', 'HEAD', 'origin/main']);
    if (mergeBase) return { rev: mergeBase.trim(), label: `the merge base with origin/main (${mergeBase.trim().slice(0, 12)})` };
    console.error('No merge base between HEAD and origin/main (a shallow clone?): comparing with HEAD. Set API_BASE to choose.');
  }
  const head = tryGit(['rev-parse', '--verify', '--quiet', 'HEAD']);
  return head ? { rev: head.trim(), label: 'HEAD' } : undefined;
}

/** Report paths in the working tree and at the base (a report deleted since the base counts too). */
function reportPaths() {
  const paths = new Set();
  const packagesDir = join(root, 'packages');
  for (const folder of existsSync(packagesDir) ? readdirSync(packagesDir) : []) {
    const apiDir = join(packagesDir, folder, 'api');
    if (!existsSync(apiDir)) continue;
    for (const file of readdirSync(apiDir)) {
      const path = `packages/${folder}/api/${file}`;
      if (REPORT_PATH.test(path)) paths.add(path);
    }
  }
  if (base) {
    for (const path of git(['ls-tree', '-r', '--name-only', base.rev, '--', 'packages']).split('\n')) {
      if (REPORT_PATH.test(path)) paths.add(path);
    }
  }
  return [...paths].sort();
}

/**
 * The signature lines of `before` that `after` no longer has, each keyed by the top-level
 * declaration it belongs to (so a member moved from one class to another counts as changed).
 * Imports, comments and the report's frame are not signatures.
 */
function removedLines(before, after) {
  const remaining = new Map();
  for (const key of signatureLines(after)) remaining.set(key, (remaining.get(key) ?? 0) + 1);
  const removed = [];
  for (const key of signatureLines(before)) {
    const left = remaining.get(key) ?? 0;
    if (left > 0) remaining.set(key, left - 1);
    else removed.push(key);
  }
  return removed;
}

function signatureLines(report) {
  const keys = [];
  let owner = '';
  for (const raw of report.replace(/\r\n/g, '\n').split('\n')) {
    const line = raw.trimEnd();
    const text = line.trim();
    if (!text || text.startsWith('//') || text.startsWith('```') || text.startsWith('## API Report File') || text.startsWith('> ')) continue;
    if (/^import\s/.test(line) || text === '(No @packageDocumentation comment for this package)') continue;
    // A closing brace says nothing its declaration's first line does not.
    if (/^[}\])>;,]+$/.test(text)) continue;
    if (line === text) {
      // A top-level line: a declaration.
      const name =
        /^(?:export\s+)?(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(?:class|interface|type|function|const|let|var|enum|namespace|module)\s+([\w$]+)/.exec(
          text,
        );
      if (name) owner = name[1];
      keys.push(text);
    } else {
      keys.push(`${owner} { ${text}`);
    }
  }
  return keys;
}

/** Changesets added or edited since the base, with the bump each names per package. */
function changesetsSinceBase() {
  const files = new Set();
  if (base) {
    // Committed since the base, staged or edited in the working tree (tracked files)...
    const diff = git(['diff', '--name-only', '--diff-filter=AMR', base.rev, '--', '.changeset']);
    for (const path of diff.split('\n')) if (path) files.add(path);
    // ...and not yet added to git.
    const untracked = git(['ls-files', '--others', '--exclude-standard', '--', '.changeset']);
    for (const path of untracked.split('\n')) if (path) files.add(path);
  } else if (existsSync(join(root, '.changeset'))) {
    for (const file of readdirSync(join(root, '.changeset'))) files.add(`.changeset/${file}`);
  }
  const result = [];
  for (const path of [...files].sort()) {
    if (!path.endsWith('.md') || /(^|\/)README\.md$/i.test(path) || !existsSync(join(root, path))) continue;
    result.push({ file: path, releases: parseChangeset(readFileSync(join(root, path), 'utf8')) });
  }
  return result;
}

/** The `"package": bump` lines of a changeset's front matter. */
function parseChangeset(text) {
  const releases = new Map();
  const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text.trimStart());
  if (!front) return releases;
  for (const line of front[1].split(/\r?\n/)) {
    const entry = /^\s*(["']?)([^"':]+)\1\s*:\s*(major|minor|patch|none)\s*$/.exec(line);
    if (entry) releases.set(entry[2].trim(), entry[3]);
  }
  return releases;
}

function major(version) {
  const parsed = /^(\d+)\./.exec(version ?? '');
  return parsed ? Number(parsed[1]) : 0;
}

function gitShow(rev, path) {
  return tryGit(['show', `${rev}:${path}`]);
}

function git(args, cwd = root) {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

function tryGit(args, cwd = root) {
  try {
    return git(args, cwd);
  } catch {
    return undefined;
  }
}
