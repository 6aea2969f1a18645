// Plain-text output shared by the CLI and the benchmarks: sizes and aligned tables.

/** 1536 -> "1.5 KiB" (binary units). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(2)} MiB`;
}

/** Columns padded to their widest cell; `rightAlign` lists numeric columns. */
export function formatTable(
  headers: string[],
  rows: string[][],
  rightAlign: ReadonlySet<number> = new Set(),
): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (rightAlign.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
