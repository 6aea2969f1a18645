// Dataset images -> the model's input tensor: resize, channel order, scale, normalise, layout.
import {
  type Dataset,
  DatasetFormatError,
  type DatasetImage,
  type PreprocessSpec,
} from './types.ts';

/** ImageNet statistics on pixels / 255; the shared CIFAR ResNets were trained with them too. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];
const FALLBACK_SIDE = 224;

type Dim = number | string;

function knownDim(d: Dim | undefined): number | null {
  return typeof d === 'number' && d > 0 ? d : null;
}

/**
 * Guesses the preprocessing from a model's input shape: NCHW when dim 1 is 1 or 3, NHWC when the
 * last dim is; symbolic height/width take the dataset's size. Float datasets are taken to hold
 * ready-made model inputs (identity normalisation); uint8 ones get /255 and ImageNet mean/std.
 */
export function defaultPreprocessSpec(
  inputShape: readonly Dim[],
  dataset?: Pick<Dataset, 'width' | 'height' | 'pixelType'>,
): PreprocessSpec {
  if (inputShape.length !== 4) {
    throw new DatasetFormatError(
      `the model input has shape [${inputShape.join(', ')}]; only image inputs [N,C,H,W] or ` +
        '[N,H,W,C] are supported',
    );
  }
  const nhwc = !isChannels(inputShape[1]) && isChannels(inputShape[3]);
  const [c, h, w] = nhwc ? [inputShape[3], inputShape[1], inputShape[2]] : inputShape.slice(1);
  const channels = knownDim(c) ?? 3;
  const float = dataset?.pixelType === 'float32';
  return {
    width: knownDim(w) ?? dataset?.width ?? FALLBACK_SIDE,
    height: knownDim(h) ?? dataset?.height ?? FALLBACK_SIDE,
    resize: 'bilinear',
    channelOrder: 'RGB',
    scale: float ? 1 : 1 / 255,
    mean: float || channels !== 3 ? new Array(channels).fill(0) : [...IMAGENET_MEAN],
    std: float || channels !== 3 ? new Array(channels).fill(1) : [...IMAGENET_STD],
    layout: nhwc ? 'NHWC' : 'NCHW',
  };
}

function isChannels(d: Dim | undefined): boolean {
  return d === 1 || d === 3;
}

/** Number of model input channels a spec describes (one mean/std per channel). */
export function specChannels(spec: PreprocessSpec): number {
  if (spec.mean.length !== spec.std.length || spec.mean.length === 0) {
    throw new DatasetFormatError('preprocessing mean and std must have one value per channel');
  }
  return spec.mean.length;
}

/** Builds the float32 input for `indices`, shaped [n, C, H, W] or [n, H, W, C] per spec.layout. */
export function makeBatch(
  dataset: Dataset,
  spec: PreprocessSpec,
  indices: ArrayLike<number>,
  out?: Float32Array,
): Float32Array {
  const channels = specChannels(spec);
  const imageSize = channels * spec.width * spec.height;
  const batch = out ?? new Float32Array(indices.length * imageSize);
  if (batch.length < indices.length * imageSize) throw new RangeError('batch buffer too small');
  for (let b = 0; b < indices.length; b++) {
    writeImage(dataset.getImage(indices[b]), indices[b], spec, channels, batch, b * imageSize);
  }
  return batch;
}

interface AxisMap {
  i0: Int32Array;
  i1: Int32Array;
  w1: Float32Array;
}

/** Source coordinates per output coordinate; half-pixel centres like PIL and torch (no antialias). */
function axisMap(srcSize: number, dstSize: number, mode: PreprocessSpec['resize']): AxisMap {
  const map = {
    i0: new Int32Array(dstSize),
    i1: new Int32Array(dstSize),
    w1: new Float32Array(dstSize),
  };
  const ratio = srcSize / dstSize;
  for (let d = 0; d < dstSize; d++) {
    if (mode === 'nearest' || srcSize === dstSize) {
      map.i0[d] = map.i1[d] = Math.min(srcSize - 1, Math.floor((d + 0.5) * ratio));
      continue;
    }
    const s = Math.min(srcSize - 1, Math.max(0, (d + 0.5) * ratio - 0.5));
    map.i0[d] = Math.floor(s);
    map.i1[d] = Math.min(srcSize - 1, map.i0[d] + 1);
    map.w1[d] = s - map.i0[d];
  }
  return map;
}

function writeImage(
  img: DatasetImage,
  index: number,
  spec: PreprocessSpec,
  channels: number,
  out: Float32Array,
  offset: number,
): void {
  const { width, height } = spec;
  if (spec.resize === 'none' && (img.width !== width || img.height !== height)) {
    throw new DatasetFormatError(
      `image ${index} is ${img.width}x${img.height} but the model takes ${width}x${height}: ` +
        'choose a resize mode',
    );
  }
  const xs = axisMap(img.width, width, spec.resize);
  const ys = axisMap(img.height, height, spec.resize);
  const pick = channelPicker(img.channels, channels, spec.channelOrder);
  const nchw = spec.layout === 'NCHW';
  const pixel = new Float32Array(img.channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      samplePixel(img, xs, ys, x, y, pixel);
      for (let c = 0; c < channels; c++) {
        const v = (pick(pixel, c) * spec.scale - spec.mean[c]) / spec.std[c];
        out[offset + (nchw ? (c * height + y) * width + x : (y * width + x) * channels + c)] = v;
      }
    }
  }
}

function samplePixel(
  img: DatasetImage,
  xs: AxisMap,
  ys: AxisMap,
  x: number,
  y: number,
  px: Float32Array,
) {
  const { data, width, channels } = img;
  const r0 = ys.i0[y] * width;
  const r1 = ys.i1[y] * width;
  const wy = ys.w1[y];
  const wx = xs.w1[x];
  for (let c = 0; c < channels; c++) {
    const a = data[(r0 + xs.i0[x]) * channels + c];
    const b = data[(r0 + xs.i1[x]) * channels + c];
    const d = data[(r1 + xs.i0[x]) * channels + c];
    const e = data[(r1 + xs.i1[x]) * channels + c];
    const top = a + (b - a) * wx;
    px[c] = top + (d + (e - d) * wx - top) * wy;
  }
}

/** Maps a model channel to a value from the source pixel (order swap, grey <-> colour). */
function channelPicker(
  srcChannels: number,
  dstChannels: number,
  order: PreprocessSpec['channelOrder'],
): (px: Float32Array, c: number) => number {
  if (srcChannels === 1) return (px) => px[0];
  if (dstChannels === 1) return (px) => 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2];
  if (srcChannels !== dstChannels) {
    throw new DatasetFormatError(
      `images have ${srcChannels} channels but the model takes ${dstChannels}`,
    );
  }
  return order === 'BGR' ? (px, c) => px[dstChannels - 1 - c] : (px, c) => px[c];
}
