// A seeded corpus of hostile inputs for the CLI (issue #17 item 8): corrupt and crafted models,
// bad datasets and bad flags. Each case is files to write plus one qaf command line; the test
// runs them all and checks the outcome, so every refusal is a clear sentence and nothing broken
// is ever written.
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';
import { makeAttribute, makeTensor } from '../../src/core/onnx/builders.ts';
import { readModel, writeModel } from '../../src/core/onnx/reader.ts';
import { DataType, type OnnxModel } from '../../src/core/onnx/types.ts';
import { mulberry32 } from '../../src/core/util/prng.ts';
import { generatedImages, tinyClassifierBytes } from '../support/generated.ts';

export interface FuzzCase {
  id: string;
  /** Files to create in the case's folder (relative name -> bytes). */
  files: Record<string, Uint8Array>;
  /** qaf arguments; `{dir}` is replaced by the case's folder. */
  argv: string[];
  /** An output path the command must not write when it refuses ('{dir}/out.onnx'). */
  output?: string;
}

const MODEL = 'm.onnx';

function tiny(): OnnxModel {
  return readModel(tinyClassifierBytes());
}

function conv2(m: OnnxModel) {
  return m.graph.node!.find((n) => n.name === 'conv2')!;
}

function setWeight(m: OnnxModel, name: string, edit: (v: Float32Array) => void) {
  const t = m.graph.initializer!.find((x) => x.name === name)!;
  const v = new Float32Array(t.rawData!.slice().buffer);
  edit(v);
  t.rawData = new Uint8Array(v.buffer);
}

/** Crafted models: each a variant of the tiny classifier that is wrong in one way. */
function craftedModels(): Record<string, () => Uint8Array> {
  const w = (edit: (m: OnnxModel) => void) => () => {
    const m = tiny();
    edit(m);
    return writeModel(m);
  };
  const retype = (dataType: number, bytesPer: number) =>
    w((m) => {
      const t = m.graph.initializer!.find((x) => x.name === 'w2')!;
      const n = (t.rawData?.length ?? 0) / 4;
      t.dataType = dataType;
      t.rawData = new Uint8Array(n * bytesPer).map((_, i) => (i * 37) % 251);
    });
  return {
    cycle: w((m) => {
      conv2(m).input![0] = 'r2';
    }),
    selfLoop: w((m) => {
      m.graph.node![1].input![0] = 'r1';
    }),
    missingTensor: w((m) => {
      conv2(m).input![0] = 'nowhere';
    }),
    stridesZero: w((m) => conv2(m).attribute!.push(makeAttribute('strides', [0, 0]))),
    kernelMismatch: w((m) => conv2(m).attribute!.push(makeAttribute('kernel_shape', [5, 5]))),
    groupNotDividing: w((m) => conv2(m).attribute!.push(makeAttribute('group', 3))),
    duplicateInit: w((m) => m.graph.initializer!.push({ ...m.graph.initializer![1] })),
    negativeInputDim: w((m) => {
      m.graph.input![0].type!.tensorType!.shape!.dim![2] = { dimValue: -8 };
    }),
    nanWeight: w((m) => setWeight(m, 'w2', (v) => (v[3] = Number.NaN))),
    infWeight: w((m) => setWeight(m, 'w2', (v) => (v[5] = Number.POSITIVE_INFINITY))),
    hugeOutlier: w((m) => setWeight(m, 'w2', (v) => (v[0] = 1e16))),
    float16Weight: retype(DataType.FLOAT16, 2),
    doubleWeight: retype(DataType.DOUBLE, 8),
    bfloat16Weight: retype(DataType.BFLOAT16, 2),
    int8Weight: retype(DataType.INT8, 1),
    hugeDims: w((m) => {
      m.graph.initializer!.find((x) => x.name === 'w2')!.dims = [16, 16, 3, 300000];
    }),
    longName: w((m) => {
      conv2(m).name = 'x'.repeat(200_000);
    }),
    noNodes: w((m) => {
      m.graph.node = [];
    }),
    noWeights: w((m) => {
      m.graph.node = [
        { opType: 'Identity', input: ['x'], output: ['logits'], name: 'only' },
      ] as OnnxModel['graph']['node'];
    }),
    bigDeclaredInput: w((m) => {
      const dims = m.graph.input![0].type!.tensorType!.shape!.dim!;
      dims[2] = { dimValue: 4000 };
      dims[3] = { dimValue: 4000 };
    }),
    oneDimWeight: w((m) => {
      const t = m.graph.initializer!.find((x) => x.name === 'w2')!;
      t.dims = [2304];
    }),
    ifMissingTensor: w((m) => {
      m.graph.input!.push({ name: 'cond' });
      m.graph.node!.push({
        opType: 'If',
        name: 'choose',
        input: ['cond'],
        output: ['extra'],
        attribute: [
          {
            name: 'then_branch',
            type: 5,
            g: {
              name: 't',
              node: [{ opType: 'Identity', input: ['ghost'], output: ['o'] }],
              output: [{ name: 'o' }],
            },
          },
          {
            name: 'else_branch',
            type: 5,
            g: {
              name: 'e',
              node: [{ opType: 'Identity', input: ['r1'], output: ['o'] }],
              output: [{ name: 'o' }],
            },
          },
        ],
      });
    }),
    extraWeightInit: w((m) => {
      m.graph.initializer!.push(makeTensor('unused', DataType.FLOAT, [2], [1, 2]));
    }),
  };
}

const COMMANDS: Record<string, string[]> = {
  inspect: ['inspect', `{dir}/${MODEL}`],
  admm: [
    'compress',
    `{dir}/${MODEL}`,
    '--method',
    'admm',
    '--rate',
    '2',
    '--bits',
    '4',
    '-o',
    '{dir}/out.onnx',
  ],
  ptq: [
    'compress',
    `{dir}/${MODEL}`,
    '--method',
    'ptq',
    '--bits',
    '8',
    '--per-channel',
    '-o',
    '{dir}/out.onnx',
  ],
};

function withOutput(argv: string[]): string | undefined {
  return argv.includes('{dir}/out.onnx') ? '{dir}/out.onnx' : undefined;
}

export function hostileCases(seed = 7): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const good = tinyClassifierBytes();
  const rand = mulberry32(seed);
  const add = (id: string, model: Uint8Array, argv: string[]) =>
    cases.push({ id, files: { [MODEL]: model }, argv, output: withOutput(argv) });

  // Crafted models, each through inspect and two compressions.
  for (const [name, make] of Object.entries(craftedModels())) {
    const bytes = make();
    for (const [cmd, argv] of Object.entries(COMMANDS)) add(`model:${name}:${cmd}`, bytes, argv);
  }
  // Truncations at seeded offsets.
  for (let i = 0; i < 60; i++) {
    const at = Math.floor(rand() * good.length);
    const cmd = i % 2 ? COMMANDS.inspect : COMMANDS.ptq;
    add(`truncate:${at}:${cmd[0]}`, good.slice(0, at), cmd);
  }
  // Byte flips: in the structure (first 512 bytes) and anywhere (mostly weights).
  for (let i = 0; i < 100; i++) {
    const bytes = good.slice();
    const region = i < 50 ? Math.min(512, bytes.length) : bytes.length;
    for (let k = 0; k < 1 + (i % 4); k++) {
      const at = Math.floor(rand() * region);
      bytes[at] ^= 1 << Math.floor(rand() * 8);
    }
    const cmd = i % 3 === 0 ? COMMANDS.inspect : i % 3 === 1 ? COMMANDS.ptq : COMMANDS.admm;
    add(`flip:${i}:${cmd[0]}`, bytes, cmd);
  }
  // Random bytes and empty files.
  for (let i = 0; i < 10; i++) {
    const bytes = Uint8Array.from({ length: Math.floor(rand() * 4000) }, () => rand() * 256);
    add(`random:${i}`, bytes, i % 2 ? COMMANDS.inspect : COMMANDS.admm);
  }
  add('empty:inspect', new Uint8Array(0), COMMANDS.inspect);
  add('empty:compress', new Uint8Array(0), COMMANDS.ptq);

  cases.push(
    ...badFlagCases(good),
    ...badDataCases(good),
    ...limitCases(good),
    ...shardCases(good),
  );
  return cases;
}

function badFlagCases(model: Uint8Array): FuzzCase[] {
  const base = ['compress', `{dir}/${MODEL}`];
  const flags: [string, string[]][] = [
    ['rateHalf', ['--method', 'admm', '--rate', '0.5', '--bits', '4']],
    ['rateZero', ['--method', 'admm', '--rate', '0', '--bits', '4']],
    ['rateNegative', ['--method', 'admm', '--rate', '-1', '--bits', '4']],
    ['rateText', ['--method', 'admm', '--rate', 'abc', '--bits', '4']],
    ['rateHuge', ['--method', 'admm', '--rate', '1e9', '--bits', '4']],
    ['rankZero', ['--method', 'admm', '--rank', '0', '--bits', '4']],
    ['rankHuge', ['--method', 'admm', '--rank', '4096', '--bits', '4']],
    ['rankFraction', ['--method', 'admm', '--rank', '2.5', '--bits', '4']],
    ['bitsOne', ['--method', 'admm', '--rate', '2', '--bits', '1']],
    ['bitsNine', ['--method', 'admm', '--rate', '2', '--bits', '9']],
    ['bitsFraction', ['--method', 'ptq', '--bits', '4.5']],
    ['methodUnknown', ['--method', 'svd', '--rate', '2', '--bits', '4']],
    ['methodMissing', ['--rate', '2', '--bits', '4']],
    ['layersBadRegex', ['--method', 'ptq', '--bits', '4', '--layers', '(']],
    ['layersNone', ['--method', 'ptq', '--bits', '4', '--layers', '^zzz$']],
    ['rateAndRank', ['--method', 'admm', '--rate', '2', '--rank', '3', '--bits', '4']],
    ['actBitsFour', ['--method', 'ptq', '--bits', '4', '-o', '{dir}/out.onnx', '--act-bits', '4']],
    [
      'actBitsNoCalib',
      ['--method', 'ptq', '--bits', '4', '-o', '{dir}/out.onnx', '--act-bits', '8'],
    ],
    [
      'otherBitsTwelve',
      ['--method', 'ptq', '--bits', '4', '-o', '{dir}/out.onnx', '--other-bits', '12'],
    ],
    ['outputIsInput', ['--method', 'ptq', '--bits', '8', '-o', `{dir}/${MODEL}`]],
    ['outputInMissingDir', ['--method', 'ptq', '--bits', '8', '-o', '{dir}/no/such/out.onnx']],
    ['outputIsDir', ['--method', 'ptq', '--bits', '8', '-o', '{dir}']],
    ['unknownFlag', ['--method', 'ptq', '--bits', '8', '--frobnicate']],
    [
      'calibCountZero',
      [
        '--method',
        'ptq',
        '--bits',
        '8',
        '-o',
        '{dir}/out.onnx',
        '--act-bits',
        '8',
        '--calib',
        '{dir}/d.bin',
        '--calib-count',
        '0',
      ],
    ],
    [
      'calibMissingFile',
      [
        '--method',
        'ptq',
        '--bits',
        '8',
        '-o',
        '{dir}/out.onnx',
        '--calibration-data',
        '{dir}/nope.bin',
      ],
    ],
  ];
  const cases: FuzzCase[] = flags.map(([id, args]) => ({
    id: `flags:${id}`,
    files: { [MODEL]: model },
    argv: [...base, ...args],
    output: args.includes('{dir}/out.onnx') ? '{dir}/out.onnx' : undefined,
  }));
  cases.push(
    { id: 'flags:noModel', files: {}, argv: ['inspect', '{dir}/missing.onnx'] },
    { id: 'flags:modelIsDir', files: {}, argv: ['inspect', '{dir}'] },
    { id: 'flags:devZero', files: {}, argv: ['inspect', '/dev/zero'] },
    { id: 'flags:unknownCommand', files: {}, argv: ['frobnicate'] },
    { id: 'flags:evalNoData', files: { [MODEL]: model }, argv: ['eval', `{dir}/${MODEL}`] },
    {
      id: 'flags:evalLimitZero',
      files: { [MODEL]: model, 'd.bin': cifarLike(4) },
      argv: [
        'eval',
        `{dir}/${MODEL}`,
        '--data',
        '{dir}/d.bin',
        '--format',
        'cifar10',
        '--limit',
        '0',
      ],
    },
    {
      id: 'flags:evalBadFormat',
      files: { [MODEL]: model, 'd.bin': cifarLike(4) },
      argv: ['eval', `{dir}/${MODEL}`, '--data', '{dir}/d.bin', '--format', 'xyz'],
    },
  );
  // An existing output is replaced only with --force.
  cases.push({
    id: 'flags:outputExistsForce',
    files: { [MODEL]: model, 'old.onnx': new Uint8Array([1, 2, 3]) },
    argv: [...base, '--method', 'ptq', '--bits', '8', '-o', '{dir}/old.onnx', '--force'],
  });
  // An existing output without --force is kept (never overwritten silently).
  cases.push({
    id: 'flags:outputExists',
    files: { [MODEL]: model, 'out.onnx': new Uint8Array([1, 2, 3]) },
    argv: [...base, '--method', 'ptq', '--bits', '8', '-o', '{dir}/out.onnx'],
  });
  return cases;
}

/** CIFAR-10 binary records (label byte + 3072 pixels) of 32x32 images. */
function cifarLike(count: number, label = 3): Uint8Array {
  const out = new Uint8Array(count * 3073);
  for (let i = 0; i < count; i++) out[i * 3073] = label;
  return out;
}

function png(width: number, height: number): Uint8Array {
  // A PNG signature and IHDR claiming the size; no image data follows.
  const bytes = new Uint8Array(33);
  bytes.set([137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82]);
  new DataView(bytes.buffer).setUint32(16, width);
  new DataView(bytes.buffer).setUint32(20, height);
  bytes.set([8, 2, 0, 0, 0], 24);
  return bytes;
}

function npy(header: string, payload: Uint8Array): Uint8Array {
  const pad = 16 - ((10 + header.length + 1) % 16);
  const text = `${header}${' '.repeat(pad)}\n`;
  const out = new Uint8Array(10 + text.length + payload.length);
  out.set([0x93, 78, 85, 77, 80, 89, 1, 0]);
  new DataView(out.buffer).setUint16(8, text.length, true);
  out.set(new TextEncoder().encode(text), 10);
  out.set(payload, 10 + text.length);
  return out;
}

function badDataCases(model: Uint8Array): FuzzCase[] {
  const images = generatedImages(8, { patternSeed: 1, noiseSeed: 2 });
  const zeros = new Uint8Array(64 * 1024 * 1024);
  const datasets: [string, string, Uint8Array][] = [
    ['cifarTruncated', 'd.bin', cifarLike(3).slice(0, 3073 * 2 + 100)],
    ['cifarEmpty', 'd.bin', new Uint8Array(0)],
    ['cifarBadLabel', 'd.bin', cifarLike(3, 200)],
    ['zipBomb', 'd.zip', zipSync({ 'a/0.png': zeros, 'a/1.png': zeros }, { level: 9 })],
    [
      'zipManyEntries',
      'd.zip',
      zipSync(
        Object.fromEntries(
          Array.from({ length: 3000 }, (_, i) => [`c/${i}.txt`, new Uint8Array(1)]),
        ),
      ),
    ],
    ['zipNotImages', 'd.zip', zipSync({ 'a/readme.txt': new TextEncoder().encode('hello') })],
    ['zipHugePng', 'd.zip', zipSync({ 'a/0.png': png(40000, 40000) })],
    ['zipCorruptPng', 'd.zip', zipSync({ 'a/0.png': png(8, 8) })],
    ['zipEmpty', 'd.zip', zipSync({})],
    ['zipGarbage', 'd.zip', Uint8Array.from({ length: 500 }, (_, i) => (i * 7) % 256)],
    ['npyBadMagic', 'd.npy', new Uint8Array(200)],
    [
      'npyHugeShape',
      'd.npy',
      npy(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 3, 4000, 4000), }",
        new Uint8Array(64),
      ),
    ],
    [
      'npyWrongDtype',
      'd.npy',
      npy(
        "{'descr': '<c16', 'fortran_order': False, 'shape': (2, 3, 8, 8), }",
        new Uint8Array(2 * 3 * 64 * 16),
      ),
    ],
    [
      'npyShapeMismatch',
      'd.npy',
      npy(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 5, 7, 7), }",
        new Uint8Array(2 * 5 * 49 * 4),
      ),
    ],
    [
      'npyShort',
      'd.npy',
      npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 8, 8), }", new Uint8Array(10)),
    ],
    ['rawImages', 'd.bin', images.bytes],
  ];
  const cases: FuzzCase[] = [];
  for (const [id, file, bytes] of datasets) {
    cases.push({
      id: `data:${id}:eval`,
      files: { [MODEL]: model, [file]: bytes },
      argv: ['eval', `{dir}/${MODEL}`, '--data', `{dir}/${file}`],
    });
    cases.push({
      id: `data:${id}:sweep`,
      files: { [MODEL]: model, [file]: bytes },
      argv: ['sweep', `{dir}/${MODEL}`, '--data', `{dir}/${file}`, '--no-cache', '--runs', '0'],
    });
    cases.push({
      id: `data:${id}:calibrate`,
      files: { [MODEL]: model, [file]: bytes },
      argv: [
        'compress',
        `{dir}/${MODEL}`,
        '--method',
        'ptq',
        '--bits',
        '8',
        '-o',
        '{dir}/out.onnx',
        '--calibration-data',
        `{dir}/${file}`,
      ],
      output: '{dir}/out.onnx',
    });
  }
  return cases;
}

function realPng(width: number, height: number): Uint8Array {
  const image = new PNG({ width, height });
  image.data.fill(200);
  return new Uint8Array(PNG.sync.write(image));
}

/** The data limits lowered by their flags (and given bad values): refused naming the flag. */
function limitCases(model: Uint8Array): FuzzCase[] {
  const zip = zipSync({
    'a/0.png': realPng(8, 8),
    'a/1.png': realPng(8, 8),
    'b/2.png': realPng(8, 8),
  });
  const files = { [MODEL]: model, 'd.zip': zip, 'd.bin': cifarLike(4) };
  const eval_ = (data: string, ...flags: string[]) => [
    'eval',
    `{dir}/${MODEL}`,
    '--data',
    `{dir}/${data}`,
    '--runs',
    '0',
    ...flags,
  ];
  const sweep = (data: string, ...flags: string[]) => [
    'sweep',
    `{dir}/${MODEL}`,
    '--data',
    `{dir}/${data}`,
    '--no-cache',
    '--runs',
    '0',
    ...flags,
  ];
  const compress = (data: string, ...flags: string[]) => [
    'compress',
    `{dir}/${MODEL}`,
    '--method',
    'ptq',
    '--bits',
    '8',
    '-o',
    '{dir}/out.onnx',
    '--calibration-data',
    `{dir}/${data}`,
    ...flags,
  ];
  const list: [string, string[]][] = [
    ['maxImages:eval', eval_('d.bin', '--max-images', '3')],
    ['maxImagesZip:sweep', sweep('d.zip', '--max-images', '2')],
    ['maxInputBytes:eval', eval_('d.bin', '--max-input-bytes', '1K')],
    ['maxInputBytes:calibrate', compress('d.bin', '--max-input-bytes', '4K')],
    ['maxZipEntries:calibrate', compress('d.zip', '--max-zip-entries', '2')],
    ['maxZipEntries:eval', eval_('d.zip', '--max-zip-entries', '1')],
    ['maxImagePixels:sweep', sweep('d.zip', '--max-image-pixels', '10')],
    ['maxImagePixels:eval', eval_('d.zip', '--max-image-pixels', '63')],
    ['maxUnpacked:eval', eval_('d.zip', '--max-unpacked-bytes', '100')],
    ['maxUnpacked:sweep', sweep('d.zip', '--max-unpacked-bytes', '1')],
    ['maxImagesZero', eval_('d.bin', '--max-images', '0')],
    ['maxEntriesFraction', sweep('d.zip', '--max-zip-entries', '2.5')],
    ['maxUnpackedText', compress('d.zip', '--max-unpacked-bytes', 'lots')],
    ['maxInputBytesNegative', eval_('d.bin', '--max-input-bytes', '-5')],
    [
      'sensitivityMaxImages',
      [
        'sensitivity',
        `{dir}/${MODEL}`,
        '--calibration-data',
        '{dir}/d.bin',
        '--no-cache',
        '--max-images',
        '2',
      ],
    ],
    [
      'allocateMaxInputBytes',
      [
        'allocate',
        `{dir}/${MODEL}`,
        '--sensitivity',
        '{dir}/d.bin',
        '--budget',
        'bops=5%',
        '-o',
        '{dir}/a.json',
        '--max-input-bytes',
        '1K',
      ],
    ],
  ];
  return list.map(([id, argv]) => ({ id: `limits:${id}`, files, argv, output: withOutput(argv) }));
}

/** Sharded sweeps: bad --shard values and merges of nothing or of garbage. */
function shardCases(model: Uint8Array): FuzzCase[] {
  const files = { [MODEL]: model, 'd.bin': cifarLike(4) };
  const sweep = (...flags: string[]) => [
    'sweep',
    `{dir}/${MODEL}`,
    '--data',
    '{dir}/d.bin',
    '--no-cache',
    '--shard-dir',
    '{dir}/shards',
    ...flags,
  ];
  const garbage = {
    ...files,
    'g/s/shard-0-of-1.json': new TextEncoder().encode('{"manifest": 1}'),
  };
  const cases: FuzzCase[] = [
    { id: 'shard:indexOutOfRange', files, argv: sweep('--shard', '4/4') },
    { id: 'shard:countZero', files, argv: sweep('--shard', '0/0') },
    { id: 'shard:negative', files, argv: sweep('--shard', '-1/4') },
    { id: 'shard:text', files, argv: sweep('--shard', 'a/b') },
    { id: 'shard:noIndex', files, argv: sweep('--shard', '4') },
    { id: 'shard:mergeMissing', files, argv: ['sweep', 'merge', '{dir}/nowhere'] },
    { id: 'shard:mergeNothing', files, argv: ['sweep', 'merge', '{dir}'] },
    { id: 'shard:mergeNoArgs', files, argv: ['sweep', 'merge'] },
    { id: 'shard:mergeGarbage', files: garbage, argv: ['sweep', 'merge', '{dir}/g'] },
  ];
  return cases;
}
