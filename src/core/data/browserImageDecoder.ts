// ImageDecoder for the browser, usable inside a worker: createImageBitmap + OffscreenCanvas
// exist in workers, while <img>, document and HTMLCanvasElement do not.
import type { ImageDecoder } from './types.ts';

export const browserImageDecoder: ImageDecoder = async (bytes, mime) => {
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime });
  // 'none' keeps the stored pixels: colour management and premultiplication would shift values
  // away from what the model was trained on (and from the Node decoder's output).
  const bitmap = await createImageBitmap(blob, {
    colorSpaceConversion: 'none',
    premultiplyAlpha: 'none',
  });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('OffscreenCanvas 2d context is unavailable');
    ctx.drawImage(bitmap, 0, 0);
    const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    return { width: bitmap.width, height: bitmap.height, rgba: data };
  } finally {
    bitmap.close();
  }
};
