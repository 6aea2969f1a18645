import { describe, expect, it } from 'vitest';
import { nodeImageDecoder } from '../../src/core/data/nodeImageDecoder.ts';
import { DatasetFormatError } from '../../src/core/data/types.ts';
import { parseImageZip, sniffImageMime } from '../../src/core/data/zipImages.ts';
import { jpegBytes, pngBytes, solid, zipBytes } from './fixtures.ts';

const red = pngBytes(2, 2, solid(2, 2, 255, 0, 0));
const green = pngBytes(3, 2, solid(3, 2, 0, 255, 0));
const blue = pngBytes(2, 2, solid(2, 2, 0, 0, 255));

describe('parseImageZip', () => {
  it('labels images by sorted class folder, under a wrapping folder', async () => {
    const zip = zipBytes({
      'set/bee/b.png': blue,
      'set/ant/x.png': red,
      'set/bee/a.png': green,
      'set/.DS_Store': new Uint8Array([1, 2]),
      '__MACOSX/set/ant/._x.png': new Uint8Array([0]),
    });
    const ds = await parseImageZip(zip, nodeImageDecoder);
    expect(ds.count).toBe(3);
    expect(ds.classNames).toEqual(['ant', 'bee']);
    // Names stay the full entry paths, so a user can find the file.
    expect(ds.itemNames).toEqual(['set/ant/x.png', 'set/bee/a.png', 'set/bee/b.png']);
    expect(Array.from(ds.labels!)).toEqual([0, 1, 1]);
    expect([ds.width, ds.height, ds.channels, ds.pixelType]).toEqual([2, 2, 3, 'uint8']);
    const g = ds.getImage(1);
    expect([g.width, g.height]).toEqual([3, 2]);
    expect(Array.from(g.data.subarray(0, 3))).toEqual([0, 255, 0]);
    expect(Array.from(ds.getImage(2).data.subarray(9, 12))).toEqual([0, 0, 255]);
  });

  it('keeps CIFAR-10 class indices when a class folder is missing', async () => {
    const ds = await parseImageZip(
      zipBytes({ 'dog/a.png': red, 'truck/b.png': blue }),
      nodeImageDecoder,
    );
    expect(Array.from(ds.labels!)).toEqual([5, 9]);
    expect(ds.classNames![5]).toBe('dog');
    const numbered = zipBytes({ '1_x/a.png': red, '1_y/b.png': blue });
    await expect(parseImageZip(numbered, nodeImageDecoder)).rejects.toThrow(/numbered 1/);
  });

  it('reads top-level images as an unlabelled set, JPEG included', async () => {
    const grey = jpegBytes(8, 8, solid(8, 8, 128, 128, 128));
    const ds = await parseImageZip(zipBytes({ '1.png': red, '2.jpg': grey }), nodeImageDecoder);
    expect(ds.labels).toBeNull();
    expect(ds.classNames).toBeNull();
    expect(ds.count).toBe(2);
    const px = ds.getImage(1).data;
    for (const v of px.subarray(0, 3)) expect(Math.abs(v - 128)).toBeLessThanOrEqual(2);
  });

  it('rejects a non-image entry, naming it', async () => {
    const zip = zipBytes({ 'cat/x.png': red, 'cat/notes.txt': new TextEncoder().encode('hi') });
    await expect(parseImageZip(zip, nodeImageDecoder)).rejects.toThrow(DatasetFormatError);
    await expect(parseImageZip(zip, nodeImageDecoder)).rejects.toThrow(
      "zip entry 'cat/notes.txt' is not a PNG or JPEG image",
    );
  });

  it('rejects a corrupt PNG, naming it', async () => {
    const corrupt = red.slice(0, 40);
    corrupt.fill(7, 20);
    const zip = zipBytes({ 'cat/ok.png': red, 'dog/bad.png': corrupt });
    await expect(parseImageZip(zip, nodeImageDecoder)).rejects.toThrow(
      /zip entry 'dog\/bad.png' is a corrupt PNG image/,
    );
  });

  it('rejects mixed layouts, empty zips and non-zips', async () => {
    const mixed = zipBytes({ 'top.png': red, 'cat/x.png': blue });
    await expect(parseImageZip(mixed, nodeImageDecoder)).rejects.toThrow(/unexpected zip layout/);
    const empty = zipBytes({ 'readme/.keep': new Uint8Array(0) });
    await expect(parseImageZip(empty, nodeImageDecoder)).rejects.toThrow(/no images/);
    await expect(parseImageZip(red, nodeImageDecoder)).rejects.toThrow(/not a readable .zip/);
  });

  it('reports decoding progress ending at 1 and stops on abort', async () => {
    const zip = zipBytes({ 'a.png': red, 'b.png': blue });
    const events: number[] = [];
    await parseImageZip(zip, nodeImageDecoder, { onProgress: (e) => events.push(e.progress) });
    expect(events[events.length - 1]).toBe(1);
    const controller = new AbortController();
    controller.abort();
    await expect(
      parseImageZip(zip, nodeImageDecoder, { signal: controller.signal }),
    ).rejects.toThrow();
  });
});

describe('sniffImageMime', () => {
  it('goes by content, not name', () => {
    expect(sniffImageMime(red)).toBe('image/png');
    expect(sniffImageMime(jpegBytes(1, 1, solid(1, 1, 0, 0, 0)))).toBe('image/jpeg');
    expect(sniffImageMime(new Uint8Array([0x89, 0x50]))).toBeNull();
  });
});
