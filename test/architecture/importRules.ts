// Which way imports may run (issue #11, item 5). A pure checker over { path, text } pairs, so its
// own test can feed it a synthetic tree; imports.test.ts feeds it the real one. No TypeScript
// parser here (TypeScript 7 ships no JS API): a small lexer blanks comments, string contents and
// template literals, then plain regexes find the import forms on what is left.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';

export interface SourceFile {
  /** Repo-relative, forward slashes: 'src/core/data/subset.ts'. */
  path: string;
  text: string;
}

export type ImportKind = 'static' | 'export' | 'side-effect' | 'dynamic' | 'url';

export interface ImportRef {
  file: string;
  line: number;
  specifier: string;
  /** Repo-relative path the specifier resolves to; null for packages and node: builtins. */
  target: string | null;
  kind: ImportKind;
  typeOnly: boolean;
}

export interface Violation {
  ref: ImportRef;
  rule: string;
}

/**
 * src/core folders, lowest first. A folder may import only from folders on a lower line; folders on
 * the same line may not import each other unless the pair is in CORE_SAME_LEVEL_ALLOWED.
 */
export const CORE_LEVELS: readonly (readonly string[])[] = [
  ['util'],
  ['kernels', 'onnx'],
  ['factor'],
  ['cost'],
  ['rewrite'],
  ['data'],
  ['eval'],
  ['calibrate'],
  ['pipeline'],
  ['sweep'],
  ['allocate'],
];

/** [importer, imported] pairs of same-level folders that may import each other's way. */
export const CORE_SAME_LEVEL_ALLOWED: readonly (readonly [string, string])[] = [];

const coreLevel = new Map(CORE_LEVELS.flatMap((names, level) => names.map((n) => [n, level])));

/** The level table as the failure message and docs print it. */
export function coreLevelTable(): string {
  return CORE_LEVELS.map((names, level) => `  ${level} ${names.join(', ')}`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Areas and rules

type Area = 'core' | 'app' | 'bridge' | 'cli' | 'workers' | 'bench' | 'scripts' | 'bin' | 'other';

function areaOf(path: string): Area {
  if (path.startsWith('src/core/')) return 'core';
  if (path.startsWith('src/app/bridge/')) return 'bridge';
  if (path.startsWith('src/cli/')) return 'cli';
  // src/main.tsx and anything else under src/ is the app's entry side.
  if (path.startsWith('src/')) return 'app';
  const top = path.split('/')[0];
  if (top === 'workers' || top === 'bench' || top === 'scripts' || top === 'bin') return top;
  return 'other';
}

/** 'src/core/data/subset.ts' -> 'data'; a file directly in src/core -> ''. */
function coreFolder(path: string): string {
  const rest = path.slice('src/core/'.length).split('/');
  return rest.length > 1 ? rest[0] : '';
}

interface AreaRule {
  name: string;
  importers: readonly Area[];
  forbidden: readonly Area[];
}

const AREA_RULES: readonly AreaRule[] = [
  {
    name: 'src/core imports nothing from src/app, src/cli, workers/, bench/, scripts/ or bin/',
    importers: ['core'],
    forbidden: ['app', 'bridge', 'cli', 'workers', 'bench', 'scripts', 'bin'],
  },
  {
    name: 'workers/ do not import src/app or src/cli',
    importers: ['workers'],
    forbidden: ['app', 'bridge', 'cli'],
  },
  {
    name: 'src/cli does not import src/app or workers/',
    importers: ['cli'],
    forbidden: ['app', 'bridge', 'workers'],
  },
  {
    name: 'bench/ does not import src/app or src/cli',
    importers: ['bench'],
    forbidden: ['app', 'bridge', 'cli'],
  },
  {
    name: 'in src/app only src/app/bridge/ imports workers/ (types too)',
    importers: ['app'],
    forbidden: ['workers'],
  },
];

function coreRule(importer: string, target: string): string | null {
  const from = coreFolder(importer);
  const to = coreFolder(target);
  if (from === to) return null;
  const fromLevel = coreLevel.get(from);
  const toLevel = coreLevel.get(to);
  const name = (f: string) => (f === '' ? 'src/core (top)' : `core/${f}`);
  if (fromLevel === undefined || toLevel === undefined) {
    const missing = fromLevel === undefined ? from : to;
    return `core levels: ${name(missing)} is not in the level table; add it to CORE_LEVELS`;
  }
  if (toLevel < fromLevel) return null;
  if (toLevel === fromLevel) {
    if (CORE_SAME_LEVEL_ALLOWED.some(([a, b]) => a === from && b === to)) return null;
    return `core levels: ${name(from)} and ${name(to)} are both level ${fromLevel} and may not import each other`;
  }
  return `core levels: ${name(from)} (level ${fromLevel}) may not import ${name(to)} (level ${toLevel})`;
}

/** Every import of `files` that runs the wrong way. */
export function checkImports(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const from = areaOf(file.path);
    for (const ref of scanImports(file)) {
      if (ref.target === null) continue;
      const to = areaOf(ref.target);
      for (const rule of AREA_RULES) {
        if (rule.importers.includes(from) && rule.forbidden.includes(to)) {
          violations.push({ ref, rule: rule.name });
        }
      }
      if (from === 'core' && to === 'core') {
        const rule = coreRule(file.path, ref.target);
        if (rule) violations.push({ ref, rule });
      }
    }
  }
  return violations;
}

/** "file:line imports X (rule: ...)", one a line, then the level table. */
export function formatViolations(violations: readonly Violation[]): string {
  const lines = violations.map(({ ref, rule }) => {
    const type = ref.typeOnly ? 'type-only ' : '';
    return `  ${ref.file}:${ref.line} imports ${ref.target} (${type}${ref.kind}; rule: ${rule})`;
  });
  return [
    `${violations.length} import(s) run the wrong way:`,
    ...lines,
    'src/core levels, lowest first (a folder imports only from lower levels):',
    coreLevelTable(),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Scanning one file

const CLAUSE = String.raw`[\w$*{},\s]*?`;
const QUOTED = String.raw`(?<q>['"])(?<spec>[^'"\n]*)\k<q>`;
const PATTERNS: readonly { kind: ImportKind; re: RegExp }[] = [
  // import X from '...', import type { A } from '...', import * as M from '...'
  {
    kind: 'static',
    re: new RegExp(String.raw`\bimport\s+(?<type>type\s+)?${CLAUSE}\bfrom\s*${QUOTED}`, 'dg'),
  },
  // export { a } from '...', export * from '...', export type { A } from '...'
  {
    kind: 'export',
    re: new RegExp(
      String.raw`\bexport\s+(?<type>type\s+)?(?:\*(?:\s+as\s+[\w$]+)?|\{[\w$,\s]*\})\s*from\s*${QUOTED}`,
      'dg',
    ),
  },
  { kind: 'side-effect', re: new RegExp(String.raw`\bimport\s*${QUOTED}`, 'dg') },
  // import('...') and typeof import('...')
  { kind: 'dynamic', re: new RegExp(String.raw`\bimport\s*\(\s*${QUOTED}`, 'dg') },
  // new Worker(new URL('...', import.meta.url)): a bundled dependency all the same.
  {
    kind: 'url',
    re: new RegExp(String.raw`\bnew\s+URL\s*\(\s*${QUOTED}\s*,\s*import\.meta\.url`, 'dg'),
  },
];

/** The imports of one file, in source order, with relative specifiers resolved to repo paths. */
export function scanImports(file: SourceFile): ImportRef[] {
  const masked = maskNonCode(file.text);
  const refs: { index: number; ref: ImportRef }[] = [];
  for (const { kind, re } of PATTERNS) {
    for (const m of masked.matchAll(re)) {
      const index = m.index ?? 0;
      // The mask blanked string contents; read the specifier back from the original text.
      const [start, end] = m.indices?.groups?.spec ?? [0, 0];
      const specifier = file.text.slice(start, end);
      refs.push({
        index,
        ref: {
          file: file.path,
          line: lineAt(file.text, index),
          specifier,
          target: resolveSpecifier(file.path, specifier),
          kind,
          typeOnly: Boolean(m.groups?.type) || allNamesTypeOnly(m[0]),
        },
      });
    }
  }
  return refs.sort((a, b) => a.index - b.index).map((r) => r.ref);
}

/** `import { type A, type B } from` imports only types, like `import type`. */
function allNamesTypeOnly(statement: string): boolean {
  const braces = /^(?:import|export)\s*\{([^}]*)\}\s*from/.exec(statement);
  if (!braces) return false;
  const names = braces[1].split(',').filter((n) => n.trim() !== '');
  return names.length > 0 && names.every((n) => /^\s*type\s/.test(n));
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Relative ('./', '../') and root ('/src/...') specifiers to repo paths; packages to null. */
export function resolveSpecifier(importer: string, specifier: string): string | null {
  const bare = specifier.replace(/[?#].*$/, '');
  if (bare.startsWith('/')) return posix.normalize(bare.slice(1));
  if (!bare.startsWith('./') && !bare.startsWith('../')) return null;
  return posix.normalize(posix.join(posix.dirname(importer), bare));
}

const REGEX_BEFORE = new Set('(,=:[!&|?{};+-*%<>~^');
const REGEX_AFTER_WORDS = new Set([
  'return',
  'typeof',
  'case',
  'do',
  'else',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'yield',
  'await',
]);

/**
 * The text with comments, string contents, template literals and regex literals blanked to spaces
 * (quotes and newlines kept, so indices and line numbers still match the original). Strings and
 * regexes end at a newline: a stray apostrophe in JSX text then blanks one line, not the file.
 */
export function maskNonCode(text: string): string {
  return new Masker(text).run();
}

class Masker {
  private readonly out: string[];
  private i = 0;
  private depth = 0;
  /** The brace depth at which each open template's `${` was entered, innermost last. */
  private readonly templates: number[] = [];

  constructor(private readonly text: string) {
    this.out = text.split('');
  }

  run(): string {
    const { text } = this;
    while (this.i < text.length) {
      const c = text[this.i];
      const next = text[this.i + 1];
      if (c === '/' && next === '/') this.skipTo(this.endOf('\n', 0));
      else if (c === '/' && next === '*') this.skipTo(this.endOf('*/', 2));
      else if (c === "'" || c === '"') this.quoted(c);
      else if (c === '`') {
        this.i++;
        this.templateText();
      } else if (c === '/' && this.regexCanStart()) this.regex();
      else this.code(c);
    }
    return this.out.join('');
  }

  private blank(from: number, to: number): void {
    for (let k = from; k < to; k++) if (this.out[k] !== '\n') this.out[k] = ' ';
  }

  /** Index just past `marker` (plus `extra`), or the end of the text. */
  private endOf(marker: string, extra: number): number {
    const at = this.text.indexOf(marker, this.i + extra);
    return at < 0 ? this.text.length : at + (marker === '\n' ? 0 : marker.length);
  }

  private skipTo(end: number): void {
    this.blank(this.i, end);
    this.i = end;
  }

  private quoted(quote: string): void {
    const { text } = this;
    const start = ++this.i;
    while (this.i < text.length && text[this.i] !== quote && text[this.i] !== '\n') {
      this.i += text[this.i] === '\\' ? 2 : 1;
    }
    this.blank(start, Math.min(this.i, text.length));
    if (text[this.i] === quote) this.i++;
  }

  /** From just after '`' or after the `}` closing a `${...}`: blanks up to '`' or '${'. */
  private templateText(): void {
    const { text } = this;
    const start = this.i;
    while (this.i < text.length && text[this.i] !== '`' && !text.startsWith('${', this.i)) {
      this.i += text[this.i] === '\\' ? 2 : 1;
    }
    this.blank(start, Math.min(this.i, text.length));
    if (this.i >= text.length) return;
    if (text[this.i] === '`') {
      this.i++;
      return;
    }
    this.templates.push(this.depth++);
    this.i += 2;
  }

  private regex(): void {
    const { text } = this;
    const start = this.i++;
    let inClass = false;
    while (this.i < text.length && text[this.i] !== '\n' && (inClass || text[this.i] !== '/')) {
      if (text[this.i] === '[') inClass = true;
      else if (text[this.i] === ']') inClass = false;
      this.i += text[this.i] === '\\' ? 2 : 1;
    }
    this.blank(start, Math.min(this.i + 1, text.length));
    this.i++;
  }

  private code(c: string): void {
    this.i++;
    if (c === '{') this.depth++;
    if (c !== '}') return;
    this.depth--;
    if (this.templates[this.templates.length - 1] === this.depth) {
      this.templates.pop();
      this.templateText();
    }
  }

  /** A '/' starts a regex after an operator or a keyword, and divides after a value. */
  private regexCanStart(): boolean {
    // Look back over what is already masked, so comments in between count as blanks.
    let j = this.i - 1;
    while (j >= 0 && /\s/.test(this.out[j])) j--;
    if (j < 0 || REGEX_BEFORE.has(this.out[j])) return true;
    let k = j;
    while (k >= 0 && /[\w$]/.test(this.out[k])) k--;
    return REGEX_AFTER_WORDS.has(this.out.slice(k + 1, j + 1).join(''));
  }
}

// ---------------------------------------------------------------------------------------------
// The real tree

const CODE_EXT = /\.(?:ts|tsx|mts|cts|js|mjs|cjs|jsx)$/;

/** What the architecture test checks: the app, core and CLI sources, workers, bench and scripts. */
export const SCANNED_DIRS = ['src', 'workers', 'bench', 'scripts', 'bin'] as const;

/**
 * Source files under `dirs` of `root` (repo-relative paths). Files in bin/ count without an
 * extension too: bin/qaf is a Node script.
 */
export function collectSourceFiles(
  root: string,
  dirs: readonly string[] = SCANNED_DIRS,
): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(posix.join(root, dir)).sort()) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const path = `${dir}/${name}`;
      const full = posix.join(root, path);
      if (statSync(full).isDirectory()) walk(path);
      else if (CODE_EXT.test(name) || (dir === 'bin' && !name.includes('.'))) {
        files.push({ path, text: readFileSync(full, 'utf8') });
      }
    }
  };
  for (const dir of dirs) walk(dir);
  return files;
}
