// Number formatting for the UI. A fixed locale keeps what users see (and what e2e tests assert)
// the same on every machine.
const locale = 'en-US';
const integerFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });

/** 269034 -> "269,034". */
export function formatCount(n: number): string {
  return integerFormat.format(n);
}

/** Three significant digits with a decimal unit prefix: 40551040 -> "40.6 M". */
export function formatScaled(
  n: number,
  units: readonly string[] = ['', 'k', 'M', 'G', 'T'],
): string {
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 ? 0 : Math.abs(value) >= 100 ? 1 : 2;
  const text = value.toLocaleString(locale, { maximumFractionDigits: digits });
  return units[unit] ? `${text} ${units[unit]}` : text;
}

/** MACs as "40.55 M", or "unknown" while shapes are not resolved. */
export function formatMacs(macs: number | null): string {
  return macs === null ? 'unknown' : formatScaled(macs);
}

/** Bytes in binary units as people read file sizes: 1081344 -> "1.03 MB". */
export function formatBytes(sizeBytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = sizeBytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 ? 0 : value >= 100 ? 1 : 2;
  return `${value.toLocaleString(locale, { maximumFractionDigits: digits })} ${units[unit]}`;
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
