// Imports run one way (issue #11, item 5): the core knows nothing of the app, CLI, workers or
// benchmarks; workers and the CLI stay off the app; the app reaches workers only through its
// bridge; and inside src/core, folders import only from lower levels (see CORE_LEVELS).
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CORE_LEVELS,
  checkImports,
  collectSourceFiles,
  coreLevelTable,
  formatViolations,
  maskNonCode,
  type SourceFile,
  scanImports,
} from './importRules.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

describe('the real tree', () => {
  it('has no import running the wrong way', () => {
    const files = collectSourceFiles(repoRoot);
    expect(files.some((f) => f.path === 'src/core/onnx/reader.ts')).toBe(true);
    expect(files.some((f) => f.path === 'bin/qaf')).toBe(true);
    const violations = checkImports(files);
    if (violations.length) expect.fail(formatViolations(violations));
  });
});

describe('scanImports', () => {
  const file = (path: string, text: string): SourceFile => ({ path, text });

  it('finds every import form and resolves relative specifiers', () => {
    const text = [
      "import { a } from '../data/x.ts';",
      'import {',
      '  type B,',
      '  c,',
      "} from './y.ts';",
      "import type { D } from '../../app/store.ts';",
      "import { type E, type F } from '../onnx/types.ts';",
      "export * from '../kernels/index.ts';",
      "export { g } from './g.ts';",
      "import './side.css';",
      "const m = await import('../eval/session.ts');",
      "type T = typeof import('../cost/costModel.ts');",
      "new Worker(new URL('../../../workers/x.worker.ts', import.meta.url));",
      "import ort from 'onnxruntime-web';",
      "import { readFileSync } from 'node:fs';",
      "import w from '../../../workers/y.worker.ts?worker';",
    ].join('\n');
    const refs = scanImports(file('src/core/factor/z.ts', text));
    expect(refs.map((r) => [r.line, r.kind, r.target, r.typeOnly])).toEqual([
      [1, 'static', 'src/core/data/x.ts', false],
      [2, 'static', 'src/core/factor/y.ts', false],
      [6, 'static', 'src/app/store.ts', true],
      [7, 'static', 'src/core/onnx/types.ts', true],
      [8, 'export', 'src/core/kernels/index.ts', false],
      [9, 'export', 'src/core/factor/g.ts', false],
      [10, 'side-effect', 'src/core/factor/side.css', false],
      [11, 'dynamic', 'src/core/eval/session.ts', false],
      [12, 'dynamic', 'src/core/cost/costModel.ts', false],
      [13, 'url', 'workers/x.worker.ts', false],
      [14, 'static', null, false],
      [15, 'static', null, false],
      [16, 'static', 'workers/y.worker.ts', false],
    ]);
    expect(refs[0].specifier).toBe('../data/x.ts');
  });

  it('ignores imports in comments, strings, templates and regex literals', () => {
    const text = [
      "// import { a } from '../../app/store.ts';",
      "/* export * from '../../cli/main.ts'; */",
      'const s = "import x from \'../../app/a.ts\'";',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
      "const t = `import('../../app/b.ts') ${n / 2} import '../../app/c.ts'`;",
      "const r = /import '..\\/..\\/app\\/d.ts'/;",
      "const ok = (a / 2) / 3; import { real } from '../onnx/reader.ts';",
    ].join('\n');
    const refs = scanImports(file('src/core/factor/z.ts', text));
    expect(refs.map((r) => [r.line, r.target])).toEqual([[6, 'src/core/onnx/reader.ts']]);
    expect(maskNonCode(text)).toHaveLength(text.length);
  });
});

describe('checkImports', () => {
  // A small tree that follows every rule; each negative case below adds one bad file to it.
  const clean: SourceFile[] = [
    { path: 'src/core/util/prng.ts', text: 'export const x = 1;' },
    { path: 'src/core/factor/cpAls.ts', text: "import { x } from '../util/prng.ts';" },
    { path: 'src/core/data/subset.ts', text: "import { x } from '../util/prng.ts';" },
    { path: 'src/core/sweep/run.ts', text: "import { y } from '../pipeline/run.ts';" },
    { path: 'src/core/pipeline/run.ts', text: "import { z } from '../calibrate/a.ts';" },
    { path: 'workers/eval.worker.ts', text: "import { r } from '../src/core/eval/evaluate.ts';" },
    { path: 'src/app/bridge/evalTypes.ts', text: "export type * from '../../../workers/e.ts';" },
    { path: 'src/app/store.ts', text: "import type { T } from './bridge/evalTypes.ts';" },
    { path: 'src/cli/sweep.ts', text: "import { sweepTable } from '../core/sweep/table.ts';" },
    { path: 'bench/sweep.ts', text: "import { sweepTable } from '../src/core/sweep/table.ts';" },
    { path: 'bin/qaf', text: "await import(new URL('../src/cli/main.ts', import.meta.url).href);" },
  ];
  const violationsWith = (path: string, text: string) =>
    checkImports([...clean, { path, text }]).map((v) => `${v.ref.file}:${v.ref.line} ${v.rule}`);

  it('passes a tree that follows the rules', () => {
    expect(checkImports(clean)).toEqual([]);
  });

  it('lets a folder import any lower level, not only the next one', () => {
    // data (5) over factor (2) is downward, so the table allows it; prng.ts moved to util/ for
    // cohesion, not because this rule demanded it.
    expect(violationsWith('src/core/data/x.ts', "import { s } from '../factor/prng.ts';")).toEqual(
      [],
    );
    expect(violationsWith('src/core/sweep/x.ts', "import { s } from '../util/prng.ts';")).toEqual(
      [],
    );
  });

  it('fails when the core imports the app, the CLI, workers, bench or scripts', () => {
    expect(
      violationsWith('src/core/factor/x.ts', "\nimport { s } from '../../app/store.ts';"),
    ).toEqual([
      'src/core/factor/x.ts:2 src/core imports nothing from src/app, src/cli, workers/, bench/, scripts/ or bin/',
    ]);
    for (const target of [
      '../../cli/util.ts',
      '../../../workers/a.ts',
      '../../../bench/b.ts',
      '../../../scripts/c.mjs',
    ]) {
      expect(
        violationsWith('src/core/eval/x.ts', `import type { A } from '${target}';`),
      ).toHaveLength(1);
    }
  });

  it('fails when a lower core folder imports a higher one', () => {
    expect(
      violationsWith('src/core/data/x.ts', "import { s } from '../eval/evaluate.ts';"),
    ).toEqual([
      'src/core/data/x.ts:1 core levels: core/data (level 5) may not import core/eval (level 6)',
    ]);
    expect(
      violationsWith('src/core/factor/x.ts', "export * from '../data/types.ts';"),
    ).toHaveLength(1);
    expect(
      violationsWith('src/core/rewrite/x.ts', "import('../calibrate/graphEdit.ts');"),
    ).toHaveLength(1);
  });

  it('fails on same-level and unknown core folders', () => {
    expect(
      violationsWith('src/core/onnx/x.ts', "import { s } from '../kernels/index.ts';"),
    ).toEqual([
      'src/core/onnx/x.ts:1 core levels: core/onnx and core/kernels are both level 1 and may not import each other',
    ]);
    expect(violationsWith('src/core/misc/x.ts', "import { s } from '../util/prng.ts';")).toEqual([
      'src/core/misc/x.ts:1 core levels: core/misc is not in the level table; add it to CORE_LEVELS',
    ]);
  });

  it('fails when workers, the CLI or bench import the app, and the app imports workers directly', () => {
    expect(
      violationsWith('workers/a.worker.ts', "import { s } from '../src/app/store.ts';"),
    ).toHaveLength(1);
    expect(
      violationsWith('workers/a.worker.ts', "import { s } from '../src/cli/util.ts';"),
    ).toHaveLength(1);
    expect(
      violationsWith('src/cli/x.ts', "import type { A } from '../../workers/a.worker.ts';"),
    ).toHaveLength(1);
    expect(violationsWith('src/cli/x.ts', "import { s } from '../app/store.ts';")).toHaveLength(1);
    expect(
      violationsWith('bench/x.ts', "import { sweepTable } from '../src/cli/sweep.ts';"),
    ).toHaveLength(1);
    expect(
      violationsWith(
        'src/app/workbench/store.ts',
        "import type { D } from '../../../workers/eval.worker.ts';",
      ),
    ).toEqual([
      'src/app/workbench/store.ts:1 in src/app only src/app/bridge/ imports workers/ (types too)',
    ]);
    expect(
      violationsWith('src/app/bridge/x.ts', "import type { A } from '../../../workers/a.ts';"),
    ).toEqual([]);
  });

  it('prints file:line, the target, the rule and the level table', () => {
    const message = formatViolations(
      checkImports([
        { path: 'src/core/factor/x.ts', text: "import { s } from '../../app/store.ts';" },
      ]),
    );
    expect(message).toContain(
      'src/core/factor/x.ts:1 imports src/app/store.ts (static; rule: src/core imports nothing',
    );
    expect(message).toContain(coreLevelTable());
    expect(coreLevelTable().split('\n')).toHaveLength(CORE_LEVELS.length);
    expect(coreLevelTable()).toContain('1 kernels, onnx');
  });
});
