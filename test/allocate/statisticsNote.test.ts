// What `qaf compress --sensitivity TABLE` says about the statistics the table's QAF options were
// solved on, next to the build's own.
import { describe, expect, it } from 'vitest';
import { statisticsNote } from '../../src/cli/allocationFlag.ts';
import type { SensitivityTable } from '../../src/core/allocate/table.ts';

const table = (extra: Partial<SensitivityTable>) =>
  ({ objective: 'data', ...extra }) as SensitivityTable;

describe('statisticsNote', () => {
  it('names both image counts when they differ, and when they agree', () => {
    const t = table({ statistics: { sha256: 'a', images: 256 } });
    expect(statisticsNote(t, 1024)).toBe(
      "the table's QAF options were solved on input statistics of 256 calibration images; this build takes its own from 1024 images of --calibration-data: the layers built may differ a little from those measured",
    );
    expect(statisticsNote(t, 256)).toContain('as this build');
    expect(statisticsNote(t, null)).toContain('no --calibration-data');
  });

  it('says when the table does not record them, and nothing for the published objective', () => {
    expect(statisticsNote(table({}), 1024)).toContain('the table does not record');
    expect(statisticsNote(table({ statistics: { sha256: 'a', images: null } }), 1024)).toContain(
      'unrecorded number',
    );
    expect(statisticsNote(table({ objective: 'published' }), 1024)).toBeNull();
  });
});
