// The evaluation-data contract shared by every format loader, the batcher and the evaluator.

// The progress shape lives in util/progress.ts; re-exported here until every importer has moved.
export type { ProgressCallback, ProgressEvent } from '../util/progress.ts';

/** A user-facing problem with an input file: the message says what is wrong and where. */
export class DatasetFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetFormatError';
  }
}

/** Which bound of a dataset was passed (the CLI names the flag that raises it). */
export type DatasetLimitName = 'maxTotalBytes' | 'maxEntries' | 'maxPixelsPerImage' | 'maxImages';

/** Input refused because it passes one of the dataset limits (DatasetLimits). */
export class DatasetLimitError extends DatasetFormatError {
  constructor(
    message: string,
    readonly limit: DatasetLimitName,
  ) {
    super(message);
    this.name = 'DatasetLimitError';
  }
}

/** One image, channels last (HWC). uint8 where the source is uint8; float32 for float sources. */
export interface DatasetImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array | Float32Array;
}

export interface Dataset {
  count: number;
  /** Size of the images; for a zip of differently sized images, the first one's (see getImage). */
  width: number;
  height: number;
  channels: number;
  /** 'uint8' pixels are 0..255; 'float32' inputs are used as they are (see preprocess). */
  pixelType: 'uint8' | 'float32';
  labels: Int32Array | null;
  classNames: string[] | null;
  /** Per-image names (zip entry paths), when the source has them. */
  itemNames: string[] | null;
  /** Image i, HWC. Returns a fresh array or a view: callers must not modify it. */
  getImage(i: number): DatasetImage;
}

export type DatasetFormat = 'cifar10' | 'zip' | 'npy';

export interface DecodedImage {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

/** Injected so the core stays free of DOM and Node APIs: pngjs/jpeg-js in Node, ImageBitmap in a worker. */
export type ImageDecoder = (
  bytes: Uint8Array,
  mime: 'image/png' | 'image/jpeg',
) => Promise<DecodedImage>;

/** How a model wants its input tensor built from dataset images. */
export interface PreprocessSpec {
  width: number;
  height: number;
  resize: 'bilinear' | 'nearest' | 'none';
  channelOrder: 'RGB' | 'BGR';
  /** Applied first: x * scale (1/255 maps bytes to [0, 1]). */
  scale: number;
  /** Then (x - mean[c]) / std[c], indexed by the model's channel order. */
  mean: number[];
  std: number[];
  layout: 'NCHW' | 'NHWC';
}
