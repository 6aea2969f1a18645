// Pages and lines of real text for the OCR models, drawn with a 5x7 bitmap font (capitals and
// digits), scaled up and softened like anti-aliased print, dark ink on light paper. Random noise
// is not a realistic input for a text detector (it answers "no text" everywhere, so every output
// agrees trivially); printed words are, and the recognizer can read them.
import { lcg } from '../support/random.ts';

export interface TextPage {
  /** RGB, 0..255, row-major HWC. */
  rgb: Uint8Array;
  width: number;
  height: number;
}

// Rows of each glyph, 5 bits each, most significant bit on the left.
const FONT: Record<string, number[]> = {
  A: [14, 17, 17, 31, 17, 17, 17],
  B: [30, 17, 17, 30, 17, 17, 30],
  C: [14, 17, 16, 16, 16, 17, 14],
  D: [28, 18, 17, 17, 17, 18, 28],
  E: [31, 16, 16, 30, 16, 16, 31],
  F: [31, 16, 16, 30, 16, 16, 16],
  G: [14, 17, 16, 23, 17, 17, 15],
  H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14],
  J: [7, 2, 2, 2, 2, 18, 12],
  K: [17, 18, 20, 24, 20, 18, 17],
  L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17],
  N: [17, 17, 25, 21, 19, 17, 17],
  O: [14, 17, 17, 17, 17, 17, 14],
  P: [30, 17, 17, 30, 16, 16, 16],
  Q: [14, 17, 17, 17, 21, 18, 13],
  R: [30, 17, 17, 30, 20, 18, 17],
  S: [15, 16, 16, 14, 1, 1, 30],
  T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14],
  V: [17, 17, 17, 17, 17, 10, 4],
  W: [17, 17, 17, 21, 21, 21, 10],
  X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 17, 10, 4, 4, 4],
  Z: [31, 1, 2, 4, 8, 16, 31],
  '0': [14, 17, 19, 21, 25, 17, 14],
  '1': [4, 12, 4, 4, 4, 4, 14],
  '2': [14, 17, 1, 2, 4, 8, 31],
  '3': [31, 2, 4, 2, 1, 17, 14],
  '4': [2, 6, 10, 18, 31, 2, 2],
  '5': [31, 16, 30, 1, 1, 17, 14],
  '6': [6, 8, 16, 30, 17, 17, 14],
  '7': [31, 1, 2, 4, 8, 8, 8],
  '8': [14, 17, 17, 14, 17, 17, 14],
  '9': [14, 17, 17, 15, 1, 2, 12],
};

const WORDS = [
  'QUANTIZATION',
  'AWARE',
  'FACTORIZATION',
  'INVOICE',
  'TOTAL',
  'HELLO',
  'WORLD',
  'OPEN',
  'MODEL',
  'TEXT',
  'PAGE',
  'NUMBER',
  'DATE',
  'ORDER',
  'PRICE',
  'RESNET',
  'BROWSER',
  'STREET',
  'CITY',
  'CHECK',
];

function word(rand: () => number): string {
  if (rand() < 0.25) return String(Math.floor(rand() * 100000));
  return WORDS[Math.floor(rand() * WORDS.length)];
}

/** A line of words, about `chars` characters long. */
export function sentence(rand: () => number, chars: number): string {
  let s = word(rand);
  while (s.length < chars) s += ` ${word(rand)}`;
  return s.slice(0, chars).trim();
}

/** Ink coverage (0..1) of `text` drawn at `scale` px per font pixel, top-left at (x, y). */
function drawText(
  cover: Float32Array,
  width: number,
  text: string,
  x: number,
  y: number,
  scale: number,
) {
  const height = cover.length / width;
  let cx = x;
  for (const ch of text) {
    const rows = FONT[ch];
    if (rows) {
      rows.forEach((bits, r) => {
        for (let c = 0; c < 5; c++) {
          if (!((bits >> (4 - c)) & 1)) continue;
          for (let dy = 0; dy < scale; dy++) {
            for (let dx = 0; dx < scale; dx++) {
              const px = cx + c * scale + dx;
              const py = y + r * scale + dy;
              if (px >= 0 && px < width && py >= 0 && py < height) cover[py * width + px] = 1;
            }
          }
        }
      });
    }
    cx += 6 * scale;
  }
}

/** 3x3 box blur: the soft edges of anti-aliased print. */
function soften(cover: Float32Array, width: number): Float32Array {
  const height = cover.length / width;
  const out = new Float32Array(cover.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      let n = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
          s += cover[yy * width + xx];
          n++;
        }
      }
      out[y * width + x] = s / n;
    }
  }
  return out;
}

/** A page of `lines` text lines (one line makes a recognizer-style crop). */
export function renderTextPage(width: number, height: number, seed: number, lines = 4): TextPage {
  const rand = lcg(seed);
  const cover = new Float32Array(width * height);
  const pitch = height / lines;
  const scale = Math.max(1, Math.floor((pitch * 0.6) / 7));
  const charWidth = 6 * scale;
  for (let l = 0; l < lines; l++) {
    const y = Math.round(l * pitch + (pitch - 7 * scale) / 2);
    const x = Math.round(scale * (1 + 3 * rand()));
    const chars = Math.max(1, Math.floor((width - x - scale) / charWidth) - Math.floor(rand() * 4));
    drawText(cover, width, sentence(rand, chars), x, y, scale);
  }
  const ink = soften(cover, width);
  const paper = [236 + rand() * 14, 233 + rand() * 14, 226 + rand() * 14];
  const tone = [25 + rand() * 40, 25 + rand() * 40, 35 + rand() * 40];
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const grain = (rand() - 0.5) * 8;
    for (let c = 0; c < 3; c++) {
      rgb[p * 3 + c] = Math.round(paper[c] + (tone[c] - paper[c]) * ink[p] + grain);
    }
  }
  return { rgb, width, height };
}

/** PaddleOCR's input: NCHW float32, (x / 255 - mean) / std per channel. */
export function paddleInput(
  page: TextPage,
  mean = [0.485, 0.456, 0.406],
  std = [0.229, 0.224, 0.225],
): Float32Array {
  const { width, height, rgb } = page;
  const out = new Float32Array(3 * width * height);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < width * height; p++) {
      out[c * width * height + p] = (rgb[p * 3 + c] / 255 - mean[c]) / std[c];
    }
  }
  return out;
}
