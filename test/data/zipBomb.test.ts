// Hostile zips: refused by their declared sizes before anything is inflated, or the moment an
// entry inflates past what its header declared; images refused by their header's size before a
// decoder allocates. Peak memory (the process's max RSS) must stay far below what the bombs
// unpack to. Nothing here asserts on time.
import { describe, expect, it, vi } from 'vitest';
import { nodeImageDecoder } from '../../src/core/data/nodeImageDecoder.ts';
import { DatasetFormatError, type ImageDecoder } from '../../src/core/data/types.ts';
import { DEFAULT_DATASET_LIMITS, parseImageZip } from '../../src/core/data/zipImages.ts';
import { craftZip, jpegWithHeader, pngWithHeader, zerosDeflated } from './craftZip.ts';
import { pngBytes, solid, zipBytes } from './fixtures.ts';

const MiB = 1024 ** 2;

/** Growth of the process's peak resident memory since `before` (a maxRSS reading), in MiB. */
function peakGrowthMiB(before: number): number {
  return (process.resourceUsage().maxRSS - before) / 1024;
}

/** A decoder that must not be reached. */
function untouchedDecoder() {
  return vi.fn<ImageDecoder>(async () => {
    throw new Error('the decoder was called');
  });
}

async function refusal(promise: Promise<unknown>): Promise<DatasetFormatError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetFormatError);
    return err as DatasetFormatError;
  }
  throw new Error('the zip was accepted');
}

describe('zip bombs', () => {
  it('defaults: 2 GiB, 100k entries, 4096 x 4096 pixels, 100k images', () => {
    expect(DEFAULT_DATASET_LIMITS).toEqual({
      maxTotalBytes: 2 * 1024 ** 3,
      maxEntries: 100_000,
      maxPixelsPerImage: 4096 * 4096,
      maxImages: 100_000,
    });
  });

  it('many highly compressible entries: refused from the central directory, nothing inflated', async () => {
    const before = process.resourceUsage().maxRSS;
    const mib = zerosDeflated(1); // 1 MiB of zeros in about 1 KiB
    const entries = Array.from({ length: 3000 }, (_, i) => ({
      name: `bomb/cat/${i}.png`,
      data: mib,
      method: 8 as const,
      size: MiB,
    }));
    const zip = craftZip(entries);
    expect(zip.length).toBeLessThan(5 * MiB); // 2.9 GiB declared
    const decode = untouchedDecoder();
    const err = await refusal(parseImageZip(zip, decode));
    expect(err.message).toMatch(
      /would unpack to more than 2\.0 GiB \(the limit; .* declare 2\.9 GiB\)/,
    );
    expect(decode).not.toHaveBeenCalled();
    expect(peakGrowthMiB(before)).toBeLessThan(200);
  });

  it('an entry whose header lies about its size: refused as soon as it inflates past it', async () => {
    const before = process.resourceUsage().maxRSS;
    const red = pngBytes(2, 2, solid(2, 2, 255, 0, 0));
    const fourGiB = zerosDeflated(4096); // 4 GiB of zeros in about 4 MiB
    const zip = craftZip([
      { name: 'cat/a.png', data: red, method: 0, size: red.length },
      { name: 'cat/b.png', data: fourGiB, method: 8, size: 1000 },
    ]);
    const decode = vi.fn(nodeImageDecoder);
    const err = await refusal(parseImageZip(zip, decode));
    expect(err.message).toBe(
      "zip entry 'cat/b.png' inflates to more than the 1,000 bytes its header declares " +
        '(a corrupt or hostile zip)',
    );
    expect(decode).toHaveBeenCalledTimes(1); // a.png, before b.png was reached
    expect(peakGrowthMiB(before)).toBeLessThan(200);
  });

  it('an entry that inflates to less than its header says is corrupt', async () => {
    const zip = craftZip([{ name: 'a.png', data: zerosDeflated(1), method: 8, size: 2 * MiB }]);
    const err = await refusal(parseImageZip(zip, untouchedDecoder()));
    expect(err.message).toMatch(/inflates to 1,048,576 bytes, not the 2,097,152 its header/);
  });

  it('more entries than the limit: refused before any is read', async () => {
    const empty = new Uint8Array();
    const entries = Array.from({ length: 100_001 }, (_, i) => ({
      name: `${i}.png`,
      data: empty,
      method: 0 as const,
      size: 0,
    }));
    const err = await refusal(parseImageZip(craftZip(entries), untouchedDecoder()));
    expect(err.message).toBe('the zip has 100,001 entries, more than the limit of 100,000');
  });

  it('a PNG or JPEG declaring a huge image: refused from its header, never decoded', async () => {
    const before = process.resourceUsage().maxRSS;
    const png = pngWithHeader(100_000, 100_000, new Uint8Array([0x78, 0x9c, 0x03, 0x00]));
    const jpeg = jpegWithHeader(60_000, 60_000);
    const decode = untouchedDecoder();
    const pngErr = await refusal(parseImageZip(zipBytes({ 'x.png': png }), decode));
    expect(pngErr.message).toBe(
      "zip entry 'x.png' is 100000 x 100000 pixels, more than the limit of 16,777,216 pixels " +
        'per image',
    );
    const jpegErr = await refusal(parseImageZip(zipBytes({ 'y.jpg': jpeg }), decode));
    expect(jpegErr.message).toMatch(/'y.jpg' is 60000 x 60000 pixels, more than the limit/);
    expect(decode).not.toHaveBeenCalled();
    expect(peakGrowthMiB(before)).toBeLessThan(200);
  });

  it('a garbled PNG size is a corrupt header (its checksum), not a size to trust', async () => {
    const png = pngWithHeader(2, 2, new Uint8Array(4));
    png[19] = 0xff; // width byte; the IHDR checksum no longer matches
    const err = await refusal(parseImageZip(zipBytes({ 'x.png': png }), untouchedDecoder()));
    expect(err.message).toBe("zip entry 'x.png' is a corrupt PNG image (IHDR checksum mismatch)");
  });

  it('an interlaced PNG whose pixel data inflates to 1 GiB: refused by the Node decoder', async () => {
    const before = process.resourceUsage().maxRSS;
    // zlib header, 1 GiB of zeros, a checksum that is never reached
    const idat = Buffer.concat([Buffer.from([0x78, 0x9c]), zerosDeflated(1024), Buffer.alloc(4)]);
    const png = pngWithHeader(16, 16, idat, true);
    const err = await refusal(parseImageZip(zipBytes({ 'i.png': png }), nodeImageDecoder));
    expect(err.message).toMatch(
      /^zip entry 'i.png' is a corrupt PNG image \(its pixel data inflates past the \d+ bytes/,
    );
    expect(peakGrowthMiB(before)).toBeLessThan(200);
  });

  it('limits are options: images per dataset, pixels per image, total bytes', async () => {
    const red = pngBytes(3, 2, solid(3, 2, 255, 0, 0));
    const zip = zipBytes({ 'a/1.png': red, 'a/2.png': red, 'b/3.png': red });
    const images = await refusal(
      parseImageZip(zip, nodeImageDecoder, { limits: { maxImages: 2 } }),
    );
    expect(images.message).toBe('the zip has 3 images, more than the limit of 2');
    const pixels = await refusal(
      parseImageZip(zip, nodeImageDecoder, { limits: { maxPixelsPerImage: 5 } }),
    );
    expect(pixels.message).toMatch(/'a\/1.png' is 3 x 2 pixels, more than the limit of 5 pixels/);
    const total = await refusal(
      parseImageZip(zip, nodeImageDecoder, { limits: { maxTotalBytes: 2 * red.length } }),
    );
    expect(total.message).toMatch(/would unpack to more than/);
    const ds = await parseImageZip(zip, nodeImageDecoder, { limits: { maxImages: 3 } });
    expect(ds.count).toBe(3);
  });
});
