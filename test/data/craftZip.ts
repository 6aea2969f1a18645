// Hand-made zips whose headers say whatever a test needs (fflate's zipSync tells the truth), and
// deflate streams that inflate to gigabytes without ever holding them.
import { constants, deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/core/data/imageHeader.ts';

export interface CraftedEntry {
  name: string;
  /** The bytes stored in the zip (already deflated when method is 8). */
  data: Uint8Array;
  method: 0 | 8;
  /** The uncompressed size the headers declare (the truth or not). */
  size: number;
  crc?: number;
}

function header(size: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(size);
  return { bytes, view: new DataView(bytes.buffer) };
}

/** A zip of `entries`, headers as given (local and central directory agree). */
export function craftZip(entries: CraftedEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const local = header(30);
    local.view.setUint32(0, 0x04034b50, true);
    local.view.setUint16(4, 20, true);
    local.view.setUint16(6, 0x800, true);
    local.view.setUint16(8, e.method, true);
    local.view.setUint32(14, e.crc ?? 0, true);
    local.view.setUint32(18, e.data.length, true);
    local.view.setUint32(22, e.size, true);
    local.view.setUint16(26, name.length, true);
    const dir = header(46);
    dir.view.setUint32(0, 0x02014b50, true);
    dir.view.setUint16(4, 20, true);
    dir.view.setUint16(6, 20, true);
    dir.view.setUint16(8, 0x800, true);
    dir.view.setUint16(10, e.method, true);
    dir.view.setUint32(16, e.crc ?? 0, true);
    dir.view.setUint32(20, e.data.length, true);
    dir.view.setUint32(24, e.size, true);
    dir.view.setUint16(28, name.length, true);
    dir.view.setUint32(42, offset, true);
    parts.push(local.bytes, name, e.data);
    central.push(dir.bytes, name);
    offset += 30 + name.length + e.data.length;
  }
  const dirSize = central.reduce((n, p) => n + p.length, 0);
  const zip64 = entries.length > 0xffff ? zip64End(entries.length, dirSize, offset) : [];
  const end = header(22);
  end.view.setUint32(0, 0x06054b50, true);
  end.view.setUint16(8, Math.min(entries.length, 0xffff), true);
  end.view.setUint16(10, Math.min(entries.length, 0xffff), true);
  end.view.setUint32(12, dirSize, true);
  end.view.setUint32(16, offset, true);
  return Buffer.concat([...parts, ...central, ...zip64, end.bytes]);
}

/** The zip64 end record and its locator, for more than 65,535 entries. */
function zip64End(count: number, dirSize: number, dirOffset: number): Uint8Array[] {
  const record = header(56);
  record.view.setUint32(0, 0x06064b50, true);
  record.view.setBigUint64(4, 44n, true);
  record.view.setUint16(12, 45, true);
  record.view.setUint16(14, 45, true);
  record.view.setBigUint64(24, BigInt(count), true);
  record.view.setBigUint64(32, BigInt(count), true);
  record.view.setBigUint64(40, BigInt(dirSize), true);
  record.view.setBigUint64(48, BigInt(dirOffset), true);
  const locator = header(20);
  locator.view.setUint32(0, 0x07064b50, true);
  locator.view.setBigUint64(8, BigInt(dirOffset + dirSize), true);
  locator.view.setUint32(16, 1, true);
  return [record.bytes, locator.bytes];
}

/**
 * A raw deflate stream of `mib` MiB of zeros, about 1 KiB per MiB: one sync-flushed (so
 * byte-aligned, non-final) block of 1 MiB of zeros repeated, then an empty final block.
 */
export function zerosDeflated(mib: number): Uint8Array {
  const block = deflateRawSync(new Uint8Array(1 << 20), {
    level: 9,
    finishFlush: constants.Z_SYNC_FLUSH,
  });
  const out = new Uint8Array(block.length * mib + 2);
  for (let i = 0; i < mib; i++) out.set(block, i * block.length);
  out.set([0x03, 0x00], block.length * mib); // BFINAL=1, fixed Huffman, end of block
  return out;
}

/** One PNG chunk with its checksum. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const typed = new Uint8Array([...new TextEncoder().encode(type), ...data]);
  const out = header(12 + data.length);
  out.view.setUint32(0, data.length);
  out.bytes.set(typed, 4);
  out.view.setUint32(8 + data.length, crc32(typed));
  return out.bytes;
}

/** A PNG whose header says width x height (RGBA, 8 bits), with `idat` as its pixel data. */
export function pngWithHeader(
  width: number,
  height: number,
  idat: Uint8Array,
  interlaced = false,
): Uint8Array {
  const ihdr = header(13);
  ihdr.view.setUint32(0, width);
  ihdr.view.setUint32(4, height);
  ihdr.bytes.set([8, 6, 0, 0, interlaced ? 1 : 0], 8);
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr.bytes),
    chunk('IDAT', idat),
    chunk('IEND', new Uint8Array()),
  ]);
}

/** A baseline JPEG header (SOI, SOF0) declaring width x height, and no image data. */
export function jpegWithHeader(width: number, height: number): Uint8Array {
  const sof = [
    0xff,
    0xc0,
    0,
    11,
    8,
    height >> 8,
    height & 255,
    width >> 8,
    width & 255,
    1,
    1,
    0x11,
    0,
  ];
  return new Uint8Array([0xff, 0xd8, ...sof, 0xff, 0xd9]);
}
