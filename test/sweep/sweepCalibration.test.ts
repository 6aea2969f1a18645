// `qaf sweep` without --calibration-data calibrates on images set aside from --data (disjoint
// from those evaluated, said in its output), --no-calibration turns that off, 1 or 8 images
// give a warning and finite results, and a calibration set that cannot feed the model is refused
// before any work. On a generated tiny classifier and generated .npy files, so it runs
// without ../shared.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseSweepArgs, sweepCommand } from '../../src/cli/sweep.ts';
import { tinyClassifierBytes } from '../support/generated.ts';
import { lcg } from '../support/random.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  vi.restoreAllMocks();
});

/** An .npy of uint8 (or float32) images [count, 8, 8, channels] (channels last). */
function npy(
  count: number,
  channels: number,
  fill: (i: number) => number,
  float = false,
): Uint8Array {
  const descr = float ? '<f4' : '|u1';
  const header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${count}, 8, 8, ${channels}), }`;
  // Magic, version 1.0, header length; the header ends in a newline at a multiple of 64 bytes.
  const padded = `${header.padEnd(117, ' ')}\n`;
  const head = new Uint8Array([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, 118, 0]);
  const values = Array.from({ length: count * 64 * channels }, (_, i) => fill(i));
  const pixels = float ? new Uint8Array(Float32Array.from(values).buffer) : Uint8Array.from(values);
  return new Uint8Array([...head, ...new TextEncoder().encode(padded), ...pixels]);
}

/** Unlabelled 8x8 RGB images: four colours plus noise (agreement, no accuracy). */
function imagesNpy(count: number): Uint8Array {
  const next = lcg(7);
  return npy(count, 3, (i) => {
    const image = Math.floor(i / 192);
    return Math.min(255, 60 * ((image + (i % 3)) % 4) + Math.floor(60 * next()));
  });
}

function files(images: number) {
  const dir = mkdtempSync(join(tmpdir(), 'qaf-sweep-cal-'));
  dirs.push(dir);
  const model = join(dir, 'tiny.onnx');
  const data = join(dir, 'data.npy');
  writeFileSync(model, tinyClassifierBytes(1));
  writeFileSync(data, imagesNpy(images));
  return { dir, model, data };
}

async function sweepJson(argv: string[]) {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const warn = vi.spyOn(console, 'error').mockImplementation(() => {});
  expect(
    await sweepCommand([
      ...argv,
      '--methods',
      'ptq',
      '--bits',
      '8',
      '--runs',
      '0',
      '--no-cache',
      '--json',
    ]),
  ).toBe(0);
  const out = JSON.parse(String(log.mock.calls.at(-1)?.[0]));
  const stderr = warn.mock.calls.map((c) => String(c[0])).join('\n');
  log.mockRestore();
  warn.mockRestore();
  return { out, stderr };
}

const calibratedOf = (out: { points: { calibrated: boolean }[] }) =>
  out.points.map((p) => p.calibrated);

describe('qaf sweep calibration from --data', () => {
  it('sets images aside from --data, evaluates the others, and says so', async () => {
    const { model, data } = files(40);
    const { out, stderr } = await sweepJson([model, '--data', data, '--calibration-images', '16']);
    expect(out.calibration.source).toBe('data');
    expect(out.calibration.statement).toBe(
      'data.npy: calibrated on 16 of your images, evaluated on the other 24',
    );
    expect(out.calibration.warning).toMatch(/only 16 calibration images/);
    expect(stderr).toMatch(/warning: only 16 calibration images/);
    expect(out.images).toBe(24);
    expect(out.calibrationImages).toBe(16);
    expect(calibratedOf(out)).toEqual([false, false, true]);
    for (const p of out.points) expect(p.images).toBe(24);
  });

  it('keeps the evaluated images when --limit leaves room outside them', async () => {
    const { model, data } = files(40);
    const { out } = await sweepJson([
      model,
      '--data',
      data,
      '--limit',
      '12',
      '--calibration-images',
      '20',
    ]);
    expect(out.images).toBe(12);
    expect(out.calibration.statement).toBe(
      'data.npy: calibrated on 20 of your images, none of them among the 12 evaluated',
    );
  });

  it('--no-calibration sets nothing aside and adds no calibrated twin', async () => {
    const { model, data } = files(40);
    const { out } = await sweepJson([model, '--data', data, '--no-calibration']);
    expect(out.images).toBe(40);
    expect(out.calibration).toEqual({
      source: 'none',
      statement: 'not calibrated (--no-calibration)',
      warning: null,
    });
    expect(calibratedOf(out)).toEqual([false, false]);
  });

  for (const images of [1, 8]) {
    it(`calibrates on ${images} image(s) with a warning and finite results`, async () => {
      const { model, data } = files(40);
      const { out, stderr } = await sweepJson([
        model,
        '--data',
        data,
        '--calibration-images',
        String(images),
      ]);
      expect(out.calibrationImages).toBe(images);
      expect(stderr).toMatch(new RegExp(`only ${images} calibration image`));
      const calibrated = out.points.find((p: { calibrated: boolean }) => p.calibrated);
      expect(Number.isFinite(calibrated.agreement)).toBe(true);
      expect(calibrated.agreement).toBeGreaterThan(0);
    });
  }

  it('refuses a calibration set that does not fit the model, naming both shapes, before any work', async () => {
    const { dir, model, data } = files(40);
    // Ready-made float inputs of one channel, for a model that takes three.
    const grey = join(dir, 'grey.npy');
    writeFileSync(
      grey,
      npy(16, 1, () => 0.5, true),
    );
    await expect(
      sweepCommand([model, '--data', data, '--calibration-data', grey, '--no-cache', '--json']),
    ).rejects.toThrow(
      'sweep: calibration inputs are 8x8x1 float values, used as they are, but the model ' +
        'input is [batch, 3, 8, 8] (NCHW)',
    );
  });

  it('parses --no-calibration and refuses what contradicts it', () => {
    expect(parseSweepArgs(['m.onnx', '--data', 'd.bin'])!.calibrate).toBe(true);
    expect(parseSweepArgs(['m.onnx', '--data', 'd.bin', '--no-calibration'])!.calibrate).toBe(
      false,
    );
    expect(parseSweepArgs(['m.onnx', '--data', 'd.bin', '--act-bits', '8'])!.actBits).toEqual([8]);
    expect(() =>
      parseSweepArgs(['m.onnx', '--data', 'd.bin', '--act-bits', '8', '--no-calibration']),
    ).toThrow(/--no-calibration/);
    expect(() =>
      parseSweepArgs([
        'm.onnx',
        '--data',
        'd.bin',
        '--calibration-data',
        'c.bin',
        '--no-calibration',
      ]),
    ).toThrow(/contradict/);
  });
});
