// ImageDecoder for Node (CLI, tests): pure-JS decoders, no native code, no DOM.
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import type { DecodedImage, ImageDecoder } from './types.ts';

export const nodeImageDecoder: ImageDecoder = async (bytes, mime) => {
  if (mime === 'image/png') {
    const png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return toDecoded(png.width, png.height, png.data);
  }
  // maxResolutionInMP bounds memory on a hostile or mislabelled file.
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100 });
  return toDecoded(img.width, img.height, img.data);
};

function toDecoded(width: number, height: number, data: Uint8Array): DecodedImage {
  return {
    width,
    height,
    rgba: new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength),
  };
}
