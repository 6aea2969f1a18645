// Image dimensions from the file header, read before any decoder runs: a PNG or JPEG of a few
// kilobytes can declare 100,000 x 100,000 pixels, and a decoder allocates what the header says.

export interface ImageSize {
  width: number;
  height: number;
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (ISO 3309, as PNG uses it). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u32be(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** The IHDR chunk, which PNG requires first; its checksum makes a garbled size a corrupt file. */
function pngSize(b: Uint8Array): ImageSize {
  const ihdr = 'IHDR'.split('').map((c) => c.charCodeAt(0));
  if (b.length < 33 || u32be(b, 8) !== 13 || !ihdr.every((c, i) => b[12 + i] === c)) {
    throw new Error('no IHDR chunk');
  }
  if (crc32(b.subarray(12, 29)) !== u32be(b, 29)) throw new Error('IHDR checksum mismatch');
  return { width: u32be(b, 16), height: u32be(b, 20) };
}

/** SOFn markers: C0-CF except C4 (DHT), C8 (JPG) and CC (DAC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** The largest frame a JPEG declares before its first scan (a decoder sizes its buffers so). */
function jpegSize(b: Uint8Array): ImageSize {
  let size: ImageSize | null = null;
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) throw new Error(`no marker at byte ${at}`);
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end of image, start of scan
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    const length = (b[at + 2] << 8) | b[at + 3];
    if (length < 2) throw new Error(`bad segment length at byte ${at}`);
    if (isStartOfFrame(marker)) {
      if (at + 9 > b.length) throw new Error('truncated frame header');
      const height = (b[at + 5] << 8) | b[at + 6];
      const width = (b[at + 7] << 8) | b[at + 8];
      if (!size || width * height > size.width * size.height) size = { width, height };
    }
    at += 2 + length;
  }
  if (!size) throw new Error('no frame header');
  return size;
}

/** Width and height from the header; throws a plain Error saying what is wrong with it. */
export function imageSize(bytes: Uint8Array, mime: 'image/png' | 'image/jpeg'): ImageSize {
  return mime === 'image/png' ? pngSize(bytes) : jpegSize(bytes);
}
