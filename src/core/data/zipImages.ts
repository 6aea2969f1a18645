// A .zip of images: one sub-folder per class (labelled; see classFolders.ts for how folders map
// to class indices), or all images at the top level (unlabelled, agreement only).
// A single wrapping folder ("mydata/cat/1.png") is stripped first; so a zip of one folder of
// images is unlabelled (a one-class labelled set would say nothing about accuracy anyway).
// A zip is hostile input: DatasetLimits bound what it may unpack to and what it may decode.
import { createThrottledProgress, type ProgressCallback } from '../util/progress.ts';
import { assignClassLabels } from './classFolders.ts';
import { imageSize } from './imageHeader.ts';
import {
  type Dataset,
  DatasetFormatError,
  type DatasetImage,
  DatasetLimitError,
  type ImageDecoder,
} from './types.ts';
import { listZipEntries, readZipEntry, type ZipEntry, type ZipLimits } from './zipReader.ts';

export interface DatasetLimits extends ZipLimits {
  /** Width x height of one image, read from its header before it is decoded. */
  maxPixelsPerImage: number;
  maxImages: number;
}

/** Room for real datasets (ImageNet-sized images, 100k of them), none for a zip bomb. */
export const DEFAULT_DATASET_LIMITS: Readonly<DatasetLimits> = {
  maxTotalBytes: 2 * 1024 ** 3,
  maxEntries: 100_000,
  maxPixelsPerImage: 4096 * 4096,
  maxImages: 100_000,
};

export interface ZipImagesOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Overrides of DEFAULT_DATASET_LIMITS. */
  limits?: Partial<DatasetLimits>;
}

interface Entry {
  path: string;
  parts: string[];
  zip: ZipEntry;
}

export async function parseImageZip(
  bytes: Uint8Array,
  decode: ImageDecoder,
  options: ZipImagesOptions = {},
): Promise<Dataset> {
  const limits = { ...DEFAULT_DATASET_LIMITS, ...options.limits };
  const entries = stripCommonFolder(listEntries(bytes, limits));
  if (entries.length === 0) throw new DatasetFormatError('the zip contains no images');
  if (entries.length > limits.maxImages) {
    throw new DatasetLimitError(
      `the zip has ${entries.length.toLocaleString('en-US')} images, more than the limit of ` +
        `${limits.maxImages.toLocaleString('en-US')}`,
      'maxImages',
    );
  }
  const labelled = entries[0].parts.length === 2;
  for (const e of entries) {
    if (e.parts.length > 2 || (e.parts.length === 2) !== labelled) {
      throw new DatasetFormatError(
        `unexpected zip layout at '${e.path}': put images either in one folder per class ` +
          '(class/image.png) or all at the top level, not both and not deeper',
      );
    }
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const classes = labelled ? classAssignment(entries.map((e) => e.parts[0])) : null;
  const images = await decodeAll(bytes, entries, decode, { ...options, limits });
  const labels = classes ? Int32Array.from(entries, (e) => classes.labels.get(e.parts[0])!) : null;
  const first = images[0];
  return {
    count: images.length,
    width: first.width,
    height: first.height,
    channels: 3,
    pixelType: 'uint8',
    labels,
    classNames: classes?.classNames ?? null,
    itemNames: entries.map((e) => e.path),
    getImage: (i) => {
      if (i < 0 || i >= images.length) throw new RangeError(`image ${i} out of range`);
      return images[i];
    },
  };
}

function classAssignment(folders: string[]) {
  try {
    return assignClassLabels(folders);
  } catch (err) {
    throw new DatasetFormatError(`bad class folders in the zip: ${(err as Error).message}`);
  }
}

function listEntries(bytes: Uint8Array, limits: ZipLimits): Entry[] {
  return listZipEntries(bytes, limits)
    .filter((e) => !e.path.endsWith('/') && !isSystemFile(e.path))
    .map((e) => ({ path: e.path, parts: e.path.split('/'), zip: e }));
}

/** Files that archivers add on their own (macOS resource forks, Finder and Explorer metadata). */
function isSystemFile(path: string): boolean {
  const parts = path.split('/');
  const name = parts[parts.length - 1];
  return parts.includes('__MACOSX') || name.startsWith('.') || name === 'Thumbs.db';
}

function stripCommonFolder(entries: Entry[]): Entry[] {
  while (entries.length > 0 && entries.every((e) => e.parts.length > 1)) {
    const top = entries[0].parts[0];
    if (!entries.every((e) => e.parts[0] === top)) break;
    entries = entries.map((e) => ({ ...e, parts: e.parts.slice(1) }));
  }
  return entries;
}

export function sniffImageMime(bytes: Uint8Array): 'image/png' | 'image/jpeg' | null {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((b, i) => bytes[i] === b)) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return 'image/jpeg';
  }
  return null;
}

/** Entries are inflated one at a time, as they are decoded: only one is in memory at once. */
async function decodeAll(
  zip: Uint8Array,
  entries: Entry[],
  decode: ImageDecoder,
  options: ZipImagesOptions & { limits: DatasetLimits },
): Promise<DatasetImage[]> {
  const report = createThrottledProgress('decoding images', entries.length, options.onProgress);
  const images: DatasetImage[] = [];
  for (const e of entries) {
    options.signal?.throwIfAborted();
    const bytes = readZipEntry(zip, e.zip);
    images.push(await decodeEntry(e.path, bytes, decode, options.limits.maxPixelsPerImage));
    report(images.length);
  }
  return images;
}

function corrupt(path: string, mime: 'image/png' | 'image/jpeg', err: unknown) {
  const kind = mime === 'image/png' ? 'PNG' : 'JPEG';
  return new DatasetFormatError(
    `zip entry '${path}' is a corrupt ${kind} image (${(err as Error).message})`,
  );
}

/** The header's size is checked first: a decoder allocates what the header says. */
async function decodeEntry(
  path: string,
  bytes: Uint8Array,
  decode: ImageDecoder,
  maxPixels: number,
): Promise<DatasetImage> {
  const mime = sniffImageMime(bytes);
  if (!mime) throw new DatasetFormatError(`zip entry '${path}' is not a PNG or JPEG image`);
  let size: { width: number; height: number };
  try {
    size = imageSize(bytes, mime);
  } catch (err) {
    throw corrupt(path, mime, err);
  }
  if (size.width * size.height > maxPixels) {
    throw new DatasetLimitError(
      `zip entry '${path}' is ${size.width} x ${size.height} pixels, more than the limit of ` +
        `${maxPixels.toLocaleString('en-US')} pixels per image`,
      'maxPixelsPerImage',
    );
  }
  let decoded: Awaited<ReturnType<ImageDecoder>>;
  try {
    decoded = await decode(bytes, mime);
  } catch (err) {
    throw corrupt(path, mime, err);
  }
  return {
    width: decoded.width,
    height: decoded.height,
    channels: 3,
    data: rgbaToRgb(decoded.rgba),
  };
}

/** Alpha is dropped: classifiers are trained on opaque images. */
function rgbaToRgb(rgba: Uint8ClampedArray): Uint8Array {
  const pixels = rgba.length / 4;
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    rgb[3 * p] = rgba[4 * p];
    rgb[3 * p + 1] = rgba[4 * p + 1];
    rgb[3 * p + 2] = rgba[4 * p + 2];
  }
  return rgb;
}
