// A zip reader that cannot be made to allocate more than its limits. The central directory is
// read first: the entry count and the sum of the uncompressed sizes it declares are checked
// before anything is inflated. Entries are then inflated one at a time, on demand, and an entry
// that inflates past its declared size is refused as soon as it does, so a lying header gains
// nothing. (fflate's unzipSync inflates every entry up front, into buffers of declared size.)
import { Inflate, strFromU8 } from 'fflate';
import { DatasetFormatError, DatasetLimitError } from './types.ts';

export interface ZipLimits {
  /** Sum of the entries' uncompressed sizes. */
  maxTotalBytes: number;
  maxEntries: number;
}

export interface ZipEntry {
  path: string;
  /** Uncompressed size, as the central directory declares it. */
  size: number;
  compressedSize: number;
  /** 0 stored, 8 deflate. */
  method: number;
  encrypted: boolean;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;
/** Compressed bytes handed to the inflater at once: at most ~1032x that comes out per step. */
const INFLATE_STEP_BYTES = 16 * 1024;

function unreadable(reason: string): DatasetFormatError {
  return new DatasetFormatError(`not a readable .zip file (${reason})`);
}

function formatBytes(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  if (gib >= 1) return `${gib.toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${bytes.toLocaleString('en-US')} bytes`;
}

class View {
  constructor(readonly bytes: Uint8Array) {}
  private check(at: number, size: number): void {
    if (at < 0 || at + size > this.bytes.length) throw unreadable('a header points past the end');
  }
  u16(at: number): number {
    this.check(at, 2);
    return this.bytes[at] | (this.bytes[at + 1] << 8);
  }
  u32(at: number): number {
    this.check(at, 4);
    return (this.u16(at) | (this.u16(at + 2) << 16)) >>> 0;
  }
  u64(at: number): number {
    return this.u32(at) + this.u32(at + 4) * 2 ** 32;
  }
  slice(at: number, size: number): Uint8Array {
    this.check(at, size);
    return this.bytes.subarray(at, at + size);
  }
}

/** Where the central directory is, and how many entries it says it has. */
function findDirectory(v: View): { count: number; offset: number } {
  const last = v.bytes.length - 22;
  let e = last;
  while (e >= 0 && e >= last - 0xffff && v.u32(e) !== EOCD) e--;
  if (e < 0 || e < last - 0xffff) throw unreadable('no end of central directory');
  let count = v.u16(e + 10);
  let offset = v.u32(e + 16);
  if (e >= 20 && v.u32(e - 20) === ZIP64_LOCATOR) {
    const z = v.u64(e - 12);
    if (v.u32(z) !== ZIP64_EOCD) throw unreadable('bad zip64 end of central directory');
    count = v.u64(z + 32);
    offset = v.u64(z + 48);
  }
  return { count, offset };
}

/** Sizes and offset stored as 0xffffffff live in the zip64 extra field, in this order. */
function zip64Fields(v: View, extra: number, extraLength: number, entry: ZipEntry): void {
  const wanted = [
    entry.size === U32_MAX,
    entry.compressedSize === U32_MAX,
    entry.localHeaderOffset === U32_MAX,
  ];
  if (!wanted.some(Boolean)) return;
  for (let p = extra; p + 4 <= extra + extraLength; p += 4 + v.u16(p + 2)) {
    if (v.u16(p) !== 1) continue;
    let at = p + 4;
    const next = () => {
      const value = v.u64(at);
      at += 8;
      return value;
    };
    if (wanted[0]) entry.size = next();
    if (wanted[1]) entry.compressedSize = next();
    if (wanted[2]) entry.localHeaderOffset = next();
    return;
  }
  throw unreadable(`entry '${entry.path}' has no zip64 sizes`);
}

/**
 * The entries the central directory lists, refused before anything is inflated when there are
 * more than `maxEntries` or they declare more than `maxTotalBytes` in all.
 */
export function listZipEntries(bytes: Uint8Array, limits: ZipLimits): ZipEntry[] {
  const v = new View(bytes);
  const { count, offset } = findDirectory(v);
  if (count > limits.maxEntries) {
    throw new DatasetLimitError(
      `the zip has ${count.toLocaleString('en-US')} entries, more than the limit of ` +
        `${limits.maxEntries.toLocaleString('en-US')}`,
      'maxEntries',
    );
  }
  const entries: ZipEntry[] = [];
  let total = 0;
  for (let i = 0, o = offset; i < count; i++) {
    if (v.u32(o) !== CENTRAL) throw unreadable('the central directory is corrupt');
    const flags = v.u16(o + 8);
    const nameLength = v.u16(o + 28);
    const extraLength = v.u16(o + 30);
    const entry: ZipEntry = {
      path: strFromU8(v.slice(o + 46, nameLength), (flags & 0x800) === 0),
      method: v.u16(o + 10),
      encrypted: (flags & 1) !== 0,
      compressedSize: v.u32(o + 20),
      size: v.u32(o + 24),
      localHeaderOffset: v.u32(o + 42),
    };
    zip64Fields(v, o + 46 + nameLength, extraLength, entry);
    total += entry.size;
    if (total > limits.maxTotalBytes) {
      throw new DatasetLimitError(
        `the zip would unpack to more than ${formatBytes(limits.maxTotalBytes)} ` +
          `(the limit; its entries declare ${formatBytes(sumSizes(v, offset, count))})`,
        'maxTotalBytes',
      );
    }
    entries.push(entry);
    o += 46 + nameLength + extraLength + v.u16(o + 32);
  }
  return entries;
}

/** The declared total, for the message only (the walk above stops at the limit). */
function sumSizes(v: View, offset: number, count: number): number {
  let total = 0;
  try {
    for (let i = 0, o = offset; i < count && v.u32(o) === CENTRAL; i++) {
      const nameLength = v.u16(o + 28);
      const extraLength = v.u16(o + 30);
      const entry = { size: v.u32(o + 24), compressedSize: 0, localHeaderOffset: 0 } as ZipEntry;
      zip64Fields(v, o + 46 + nameLength, extraLength, entry);
      total += entry.size;
      o += 46 + nameLength + extraLength + v.u16(o + 32);
    }
  } catch {
    // a corrupt tail: the sum so far is enough for a message
  }
  return total;
}

/** Inflates `data`, refusing as soon as the output passes `size` bytes. */
function inflateBounded(data: Uint8Array, size: number, path: string): Uint8Array {
  const out = new Uint8Array(size);
  let written = 0;
  const inflater = new Inflate((chunk) => {
    if (written + chunk.length > size) {
      throw new DatasetFormatError(
        `zip entry '${path}' inflates to more than the ${size.toLocaleString('en-US')} bytes ` +
          'its header declares (a corrupt or hostile zip)',
      );
    }
    out.set(chunk, written);
    written += chunk.length;
  });
  try {
    let at = 0;
    do {
      const end = Math.min(at + INFLATE_STEP_BYTES, data.length);
      inflater.push(data.subarray(at, end), end === data.length);
      at = end;
    } while (at < data.length);
  } catch (err) {
    if (err instanceof DatasetFormatError) throw err;
    throw new DatasetFormatError(`zip entry '${path}' is corrupt (${(err as Error).message})`);
  }
  if (written !== size) {
    throw new DatasetFormatError(
      `zip entry '${path}' inflates to ${written.toLocaleString('en-US')} bytes, not the ` +
        `${size.toLocaleString('en-US')} its header declares (a corrupt zip)`,
    );
  }
  return out;
}

/** One entry's bytes, never more than its declared size (a view for stored entries). */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const v = new View(bytes);
  const at = entry.localHeaderOffset;
  if (v.u32(at) !== LOCAL) throw unreadable(`no local header for '${entry.path}'`);
  const data = v.slice(at + 30 + v.u16(at + 26) + v.u16(at + 28), entry.compressedSize);
  if (entry.encrypted) {
    throw new DatasetFormatError(`zip entry '${entry.path}' is encrypted: unzip it first`);
  }
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) {
      throw new DatasetFormatError(`zip entry '${entry.path}' is stored with inconsistent sizes`);
    }
    return data;
  }
  if (entry.method !== 8) {
    throw new DatasetFormatError(
      `zip entry '${entry.path}' uses compression method ${entry.method}; only deflate is supported`,
    );
  }
  return inflateBounded(data, entry.size, entry.path);
}
