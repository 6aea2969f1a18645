// The response headers every file of the app is served with: one source for `npm start` and
// `npm run dev` (vite.config.ts) and for static hosting (deploy/_headers and the nginx snippet
// in deploy/README.md, which test/app/deployHeaders.test.ts keeps equal to this).

/** crossOriginIsolated needs both; without them onnxruntime-web silently drops to 1 thread. */
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

/**
 * 'wasm-unsafe-eval' lets the page and workers compile WebAssembly (our kernels, onnxruntime-web,
 * long.js) and nothing else: no 'unsafe-eval', so `eval`/`new Function` throw. The ONNX codec
 * interprets the schema instead of generating code for that reason (src/core/onnx/codec.ts).
 * `img-src data:` is for the inline favicon in index.html. Workers are same-origin module
 * scripts (onnxruntime-web's threads start from its own bundle URL, not from blob:).
 * `nonce` is for the dev server only: Vite injects the React refresh preamble and dev CSS inline.
 */
export function contentSecurityPolicy(nonce?: string): string {
  const inline = nonce ? ` 'nonce-${nonce}'` : '';
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval'${inline}`,
    `style-src 'self'${inline}`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Features the app never uses, refused to the page and anything it might embed. */
const permissionsPolicy = [
  'accelerometer',
  'autoplay',
  'camera',
  'display-capture',
  'encrypted-media',
  'geolocation',
  'gyroscope',
  'magnetometer',
  'microphone',
  'midi',
  'payment',
  'usb',
  'xr-spatial-tracking',
]
  .map((feature) => `${feature}=()`)
  .join(', ');

export function securityHeaders(nonce?: string): Record<string, string> {
  return {
    ...isolationHeaders,
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Content-Security-Policy': contentSecurityPolicy(nonce),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Permissions-Policy': permissionsPolicy,
  };
}
