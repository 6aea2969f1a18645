// The files of sharded sweeps: `qaf sweep ... --shard I/N` writes its share to
// DIR/<sweep key>/shard-I-of-N.json (content-addressed: the key hashes the model, the data, the
// settings and the whole grid), and `qaf sweep merge DIR...` builds the table and the app's sweep
// JSON from any number of such files. A shard re-run reads back the measurements already in DIR,
// so it rewrites the same bytes; merging twice gives the same output.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { canonicalJson } from '../core/sweep/configKey.ts';
import {
  mergeShards,
  type ShardManifest,
  type ShardResult,
  type ShardSpec,
} from '../core/sweep/shard.ts';
import { sweepTable } from '../core/sweep/table.ts';
import type { SweepCache, SweepMeasurement, SweepRow } from '../core/sweep/types.ts';
import { parseCommandArgs, UsageError } from './util.ts';

export const DEFAULT_SHARD_DIR = 'qaf-sweep-shards';

export const shardUsage = `
sharded sweeps (one grid over many processes or machines; no scheduler of its own):
  --shard I/N               compute shard I (0 to N-1) of N: every N-th group of points of the
                            grid, written to DIR/<sweep key>/shard-I-of-N.json. --shard N takes I
                            from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or
                            SLURM_ARRAY_TASK_ID. Re-running a shard reuses what DIR holds.
  --shard-dir DIR           where shard results go (default ${DEFAULT_SHARD_DIR})
  qaf sweep merge DIR...    the table (or --json, or -o FILE: the app's sweep JSON) from the
                            shard files under the DIRs; refused when they are shards of
                            different sweeps or a point of the grid is missing`;

export const mergeUsage = `usage: qaf sweep merge DIR|FILE... [--json] [-o SWEEP.json]

Builds one sweep from shard results (qaf sweep --shard I/N): DIR is a --shard-dir, a sweep
directory in it, or one shard-I-of-N.json. Every point of the grid must be in some shard; all
shards must come from the same model, data, grid and settings. Merging is idempotent.

  --json         print the sweep as one JSON object (as qaf sweep --json)
  -o FILE        also write that JSON to FILE (the app imports it like public/demo/sweep.json)`;

function isShardFile(name: string): boolean {
  return /^shard-\d+-of-\d+\.json$/.test(name);
}

/** Shard files in `path`: the file itself, or those in the directory and its subdirectories. */
function shardFiles(path: string): string[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError(`sweep merge: no such file or directory "${path}"`);
  }
  if (st.isFile()) return [path];
  const found: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isFile() && isShardFile(entry.name)) found.push(full);
    if (entry.isDirectory()) {
      for (const inner of readdirSync(full)) {
        if (isShardFile(inner)) found.push(join(full, inner));
      }
    }
  }
  return found.sort();
}

function readShard(file: string): ShardResult {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as ShardResult;
    if (!parsed?.manifest?.sweepKey || !parsed.shard || !parsed.measurements) throw new Error();
    return parsed;
  } catch {
    throw new UsageError(`sweep merge: ${file} is not a shard result of qaf sweep --shard`);
  }
}

/**
 * The measurements already under `dir` (any shard of any sweep: keys are content hashes), in
 * front of `inner`, so a shard that runs again measures nothing it has.
 */
export class ShardDirCache implements SweepCache {
  private readonly known = new Map<string, SweepMeasurement>();

  constructor(
    dir: string,
    private readonly inner?: SweepCache,
  ) {
    let files: string[] = [];
    try {
      files = shardFiles(dir);
    } catch {
      // no directory yet
    }
    for (const file of files) {
      try {
        const r = JSON.parse(readFileSync(file, 'utf8')) as ShardResult;
        for (const [k, m] of Object.entries(r.measurements ?? {})) this.known.set(k, m);
      } catch {
        // an unreadable shard file is only a missed reuse
      }
    }
  }

  async get(key: string): Promise<SweepMeasurement | undefined> {
    return this.known.get(key) ?? (await this.inner?.get(key));
  }

  async set(key: string, value: SweepMeasurement): Promise<void> {
    await this.inner?.set(key, value);
  }
}

/** Writes the shard's result (atomically: other pods may share the directory) and returns it. */
export function writeShard(
  dir: string,
  manifest: ShardManifest,
  shard: ShardSpec,
  rows: readonly SweepRow[],
): string {
  const keyOf = new Map(manifest.points.map((p) => [JSON.stringify(p.point), p.key]));
  const measurements: Record<string, SweepMeasurement> = {};
  for (const { cached: _, method, rate, bits, actBits, calibrated, ...m } of rows) {
    const key = keyOf.get(JSON.stringify({ method, rate, bits, actBits, calibrated }));
    if (!key) throw new Error(`sweep: point ${method} not in the grid's manifest`);
    measurements[key] = m;
  }
  const sweepDir = join(dir, manifest.sweepKey.slice(0, 16));
  mkdirSync(sweepDir, { recursive: true });
  const file = join(sweepDir, `shard-${shard.index}-of-${shard.count}.json`);
  // A re-run that measured nothing new leaves the file as it is (its date included).
  try {
    const old = JSON.parse(readFileSync(file, 'utf8')) as ShardResult;
    if (canonicalJson(old.measurements) === canonicalJson(measurements)) return file;
  } catch {
    // no file yet, or unreadable: write it
  }
  const measuredWith = { date: new Date().toISOString().slice(0, 10), node: process.version };
  const result: ShardResult = { manifest, shard, measurements, measuredWith };
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(result)}\n`);
  renameSync(tmp, file);
  return file;
}

/** The JSON `qaf sweep --json` prints, for a merged sweep. */
export function mergedJson(merged: ReturnType<typeof mergeShards>) {
  const r = merged.manifest.report;
  return {
    model: r.model,
    data: r.data,
    images: r.images,
    calibrationImages: r.calibrationImages,
    calibration: r.calibration,
    layers: r.layers,
    sweepKey: merged.manifest.sweepKey,
    shards: merged.shards,
    // What the app reads from a precomputed sweep file (public/demo/sweep.json has the same).
    measuredWith: {
      command: `qaf sweep --shard, merged from ${merged.shards.join(', ')}`,
      date: merged.measuredWith.date,
      node: merged.measuredWith.node,
    },
    points: merged.rows.map(({ cached: _, ...row }) => row),
  };
}

export async function sweepMergeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('sweep merge', argv, {
    json: { type: 'boolean' },
    output: { type: 'string', short: 'o' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(mergeUsage);
    return 0;
  }
  if (positionals.length === 0) {
    throw new UsageError('sweep merge: give one or more shard directories (see --help)');
  }
  const files = [...new Set(positionals.flatMap(shardFiles))];
  if (files.length === 0) {
    throw new UsageError(
      `sweep merge: no shard-I-of-N.json under ${positionals.join(', ')} (qaf sweep --shard writes them)`,
    );
  }
  const merged = mergeShards(files.map((file) => ({ file, result: readShard(file) })));
  const json = JSON.stringify(mergedJson(merged));
  if (values.output) {
    const tmp = `${values.output}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, `${json}\n`);
    renameSync(tmp, values.output);
  }
  if (values.json) {
    console.log(json);
    return 0;
  }
  const r = merged.manifest.report;
  console.log(
    `${r.model}: ${merged.rows.length} points from ${files.length} shard file(s) ` +
      `(${merged.shards.join(', ')}), ${r.layers.length} layers compressed, ${r.images} images`,
  );
  console.log(sweepTable(merged.rows));
  if (values.output) console.log(`wrote ${basename(values.output)}`);
  return 0;
}
