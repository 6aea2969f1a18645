// Sharded sweeps (issue #14 item 5): a grid split over N independent processes (a Kubernetes
// Indexed Job, a SLURM array), each writing its share under content-addressed names, and a merge
// that rebuilds the one table from any number of shard results. Pure: the CLI does the files.
import { canonicalJson, configKey, sha256Hex } from './configKey.ts';
import { pointConfig, pointId } from './grid.ts';
import type { SweepContext, SweepMeasurement, SweepPoint, SweepRow } from './types.ts';

/** Bump when the shard file's shape changes; merge refuses other versions. */
export const SHARD_FORMAT_VERSION = 1;

export interface ShardSpec {
  /** 0-based. */
  index: number;
  count: number;
}

/** Where a shard index may come from, besides --shard I/N. */
export const SHARD_INDEX_VARIABLES = ['JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID'] as const;

/** A problem with a shard flag or shard files: the CLI prints it as one line. */
export class ShardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShardError';
  }
}

const wholeNumber = (s: string) => (/^\d+$/.test(s.trim()) ? Number(s) : Number.NaN);

/**
 * `--shard I/N` (I counted from 0), or `--shard N` / `--shard auto/N` with I from
 * JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (a SLURM array starting
 * at 0). An index out of range is an error, never a silent empty shard.
 */
export function parseShard(value: string, env: Record<string, string | undefined>): ShardSpec {
  const slash = value.indexOf('/');
  const given = slash >= 0 ? value.slice(0, slash).trim() : '';
  const count = wholeNumber(slash >= 0 ? value.slice(slash + 1) : value);
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new ShardError(`--shard "${value}": N must be a whole number >= 1 (e.g. --shard 0/4)`);
  }
  let index: number;
  let source: string;
  if (given !== '' && given !== 'auto') {
    index = wholeNumber(given);
    source = `--shard ${value}`;
  } else {
    const name = SHARD_INDEX_VARIABLES.find((v) => env[v] !== undefined && env[v] !== '');
    if (!name) {
      throw new ShardError(
        `--shard "${value}" names no index and neither ${SHARD_INDEX_VARIABLES.join(' nor ')} ` +
          'is set: give --shard I/N',
      );
    }
    index = wholeNumber(env[name]!);
    source = `${name}=${env[name]}`;
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new ShardError(
      `shard index out of range (${source}): with ${count} shard${count === 1 ? '' : 's'} ` +
        `the index is 0 to ${count - 1}`,
    );
  }
  return { index, count };
}

/**
 * The points of shard `index` of `count`: whole groups (a point and its calibrated twin, which
 * reuses the model its twin built) dealt round-robin in grid order, so shards get similar work.
 */
export function shardPoints(points: readonly SweepPoint[], shard: ShardSpec): SweepPoint[] {
  const groups: string[] = [];
  for (const p of points) {
    const g = groupOf(p);
    if (!groups.includes(g)) groups.push(g);
  }
  return points.filter((p) => groups.indexOf(groupOf(p)) % shard.count === shard.index);
}

const groupOf = (p: SweepPoint) => pointId({ ...p, calibrated: false });

/** What defines a sweep, identical in every shard of it: merge compares these. */
export interface ShardManifest {
  version: number;
  /** SHA-256 of the context and the whole grid: the name of the sweep's result directory. */
  sweepKey: string;
  context: SweepContext;
  /** The whole grid, in order, each with its cache key (the name of its point file). */
  points: { key: string; point: SweepPoint }[];
  /** Facts for the merged report (same in every shard). */
  report: {
    model: string;
    data: string;
    images: number;
    calibrationImages: number;
    calibration: unknown;
    layers: string[];
  };
}

/** One shard's result file: its manifest, which shard it was, and its points' measurements. */
export interface ShardResult {
  manifest: ShardManifest;
  shard: ShardSpec;
  /** Point key -> measurement, for this shard's points. */
  measurements: Record<string, SweepMeasurement>;
  /** When and where it was measured (kept when a re-run measures nothing new). */
  measuredWith?: { date: string; node: string };
}

/** The manifest of a sweep over `points` in `context`. */
export async function shardManifest(
  context: SweepContext,
  points: readonly SweepPoint[],
  report: ShardManifest['report'],
): Promise<ShardManifest> {
  const keyed = await Promise.all(
    points.map(async (p) => ({
      key: await configKey(context, pointConfig(p)),
      point: pointConfig(p),
    })),
  );
  const sweepKey = await sha256Hex(
    canonicalJson({ version: SHARD_FORMAT_VERSION, context, points: keyed.map((k) => k.key) }),
  );
  return { version: SHARD_FORMAT_VERSION, sweepKey, context, points: keyed, report };
}

export interface MergedSweep {
  manifest: ShardManifest;
  /** Every point of the grid, in grid order (none marked cached). */
  rows: SweepRow[];
  /** Distinct shards seen, e.g. ["0/4", "1/4", ...]. */
  shards: string[];
  /** The latest shard's date and every Node version the shards ran on. */
  measuredWith: { date: string; node: string };
}

/**
 * The one sweep the shards make up. Refused, with the reason, when they come from different
 * sweeps (models, data, grids or settings) or when a point of the grid is in none of them.
 * Order-independent and idempotent: the same shards, in any order or repeated, give the same
 * result.
 */
export function mergeShards(
  results: readonly { file: string; result: ShardResult }[],
): MergedSweep {
  if (results.length === 0) throw new ShardError('sweep merge: no shard result found');
  const first = results[0];
  for (const { file, result } of results) {
    if (result.manifest.version !== SHARD_FORMAT_VERSION) {
      throw new ShardError(
        `sweep merge: ${file} is shard format ${result.manifest.version}, this qaf reads ` +
          `${SHARD_FORMAT_VERSION}: re-run that shard`,
      );
    }
    const why = differences(first.result.manifest, result.manifest);
    if (why) {
      throw new ShardError(
        `sweep merge: ${first.file} and ${file} are shards of different sweeps (${why}); ` +
          'merge the shards of one sweep at a time',
      );
    }
  }
  const measured = new Map<string, SweepMeasurement>();
  const shards = new Set<string>();
  for (const { result } of results) {
    shards.add(`${result.shard.index}/${result.shard.count}`);
    for (const [key, m] of Object.entries(result.measurements)) measured.set(key, m);
  }
  const manifest = first.result.manifest;
  const missing = manifest.points.filter((p) => !measured.has(p.key));
  if (missing.length) {
    const count = first.result.shard.count;
    const owners = new Set<number>();
    const all = manifest.points.map((p) => p.point);
    for (let i = 0; i < count; i++) {
      const mine = new Set(shardPoints(all, { index: i, count }).map(pointId));
      if (missing.some((p) => mine.has(pointId(p.point)))) owners.add(i);
    }
    throw new ShardError(
      `sweep merge: ${missing.length} of ${manifest.points.length} points are in no shard given ` +
        `(${missing
          .slice(0, 4)
          .map((p) => pointId(p.point))
          .join(', ')}${missing.length > 4 ? ', ...' : ''}): run shard ` +
        `${[...owners].map((i) => `${i}/${count}`).join(', ')} and merge again`,
    );
  }
  const rows = manifest.points.map(({ key, point }) => ({
    ...point,
    ...measured.get(key)!,
    cached: false,
  }));
  const dates = results.map((r) => r.result.measuredWith?.date ?? '').sort();
  const nodes = [...new Set(results.map((r) => r.result.measuredWith?.node ?? '?'))].sort();
  return {
    manifest,
    rows,
    shards: [...shards].sort(byShard),
    measuredWith: { date: dates.at(-1) ?? '', node: nodes.join(', ') },
  };
}

function byShard(a: string, b: string): number {
  const [ai, an] = a.split('/').map(Number);
  const [bi, bn] = b.split('/').map(Number);
  return an - bn || ai - bi;
}

/** Why two manifests are not the same sweep, or null when they are. */
function differences(a: ShardManifest, b: ShardManifest): string | null {
  if (a.sweepKey === b.sweepKey) return null;
  if (a.context.modelHash !== b.context.modelHash) {
    return `different models: ${a.report.model} sha256 ${a.context.modelHash.slice(0, 12)} vs ${b.report.model} sha256 ${b.context.modelHash.slice(0, 12)}`;
  }
  if (a.context.dataHash !== b.context.dataHash) {
    return `different evaluation data: ${a.report.data} vs ${b.report.data}`;
  }
  const ids = (m: ShardManifest) => m.points.map((p) => pointId(p.point));
  if (canonicalJson(ids(a)) !== canonicalJson(ids(b))) {
    const onlyA = ids(a).filter((id) => !ids(b).includes(id));
    const onlyB = ids(b).filter((id) => !ids(a).includes(id));
    const list = (l: string[]) => (l.length ? l.slice(0, 3).join(', ') : 'nothing');
    return `different grids: ${a.points.length} vs ${b.points.length} points; only in the first: ${list(onlyA)}; only in the second: ${list(onlyB)}`;
  }
  const keys = new Set([...Object.keys(a.context.settings), ...Object.keys(b.context.settings)]);
  const changed = [...keys].filter(
    (k) => canonicalJson(a.context.settings[k]) !== canonicalJson(b.context.settings[k]),
  );
  if (changed.length) return `different settings: ${changed.join(', ')}`;
  return 'different sweep keys';
}
