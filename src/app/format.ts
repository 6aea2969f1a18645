// Number formatting for the UI. A fixed locale keeps what users see (and what e2e tests assert)
// the same on every machine.
const locale = 'en-US';
const integerFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });

/** 269034 -> "269,034". */
export function formatCount(n: number): string {
  return integerFormat.format(n);
}

/** `value` in the largest unit that keeps it at least 1, with about three significant digits. */
function scaled(value: number, base: number, units: readonly string[]): string {
  let unit = 0;
  while (Math.abs(value) >= base && unit < units.length - 1) {
    value /= base;
    unit++;
  }
  const digits = unit === 0 ? 0 : Math.abs(value) >= 100 ? 1 : 2;
  const text = value.toLocaleString(locale, { maximumFractionDigits: digits });
  return units[unit] ? `${text} ${units[unit]}` : text;
}

/** Decimal unit prefixes: 40551040 -> "40.55 M". */
export function formatScaled(n: number): string {
  return scaled(n, 1000, ['', 'k', 'M', 'G', 'T']);
}

/** MACs as "40.55 M", or "unknown" while shapes are not resolved. */
export function formatMacs(macs: number | null): string {
  return macs === null ? 'unknown' : formatScaled(macs);
}

/** Bytes in binary units as people read file sizes: 1093637 -> "1.04 MB". */
export function formatBytes(sizeBytes: number): string {
  return scaled(sizeBytes, 1024, ['B', 'KB', 'MB', 'GB']);
}

/** A tensor shape with symbolic dims kept by name: [1, 'batch'] -> "batch × 3 × 32 × 32". */
export function formatShape(shape: readonly (number | string)[] | null | undefined): string {
  if (!shape) return '—';
  if (shape.length === 0) return 'scalar';
  return shape.join(' × ');
}

/** A share in [0, 1] as a percentage with one decimal: 0.1234 -> "12.3 %". */
export function formatShare(share: number | null): string {
  if (share === null || !Number.isFinite(share)) return '—';
  return `${(share * 100).toLocaleString(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} %`;
}
