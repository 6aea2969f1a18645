// Content-addressed cache keys: SHA-256 over the model bytes, the data bytes and a canonical
// JSON of the configuration, so a key never depends on property order or on file names.

/** SHA-256 of bytes as lowercase hex (WebCrypto: Node 20 and every browser have it). */
export async function sha256Hex(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const digest = await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  return toHex(new Uint8Array(digest));
}

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** JSON with object keys sorted at every depth; undefined members dropped like JSON.stringify. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (ArrayBuffer.isView(value)) {
    throw new Error('canonicalJson: hash typed arrays with sha256Hex, not as JSON');
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The cache key of one configuration in one context. */
export function configKey(context: unknown, config: unknown): Promise<string> {
  return sha256Hex(canonicalJson({ context, config }));
}
