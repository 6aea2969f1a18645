// A chart as a standalone SVG file (title, image set and its own legend added) and as PNG. The
// PNG is drawn from a data: URL of that SVG (the page's CSP allows data: images, not blob:).
import { METHOD_IDS, METHODS } from '../../core/factor/methods/index.ts';
import { shapeForBits } from './chartData.ts';
import { shapePath } from './pointShapes.ts';

export interface LegendFacts {
  methods: string[];
  bits: number[];
  calibrated: boolean[];
}

const INK = '#1c2330';
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Legend items laid out in rows that fit `width`; returns the markup and its height. */
function legendMarkup(facts: LegendFacts, width: number): { svg: string; height: number } {
  const items: { swatch: string; text: string }[] = [];
  for (const id of METHOD_IDS) {
    if (!facts.methods.includes(id)) continue;
    const m = METHODS[id];
    items.push({
      swatch: `<rect x="2" y="2" width="12" height="12" rx="2" fill="${m.color}"/>`,
      text: m.shortLabel,
    });
  }
  for (const b of facts.bits) {
    items.push({
      swatch: `<path d="${shapePath(shapeForBits(b), 8, 8, 5)}" fill="${INK}"/>`,
      text: b === 32 ? 'float weights' : `${b}-bit`,
    });
  }
  for (const cal of facts.calibrated) {
    items.push({
      swatch: `<circle cx="8" cy="8" r="5" fill="${cal ? INK : '#fff'}" stroke="${INK}" stroke-width="${cal ? 1 : 2}"/>`,
      text: cal ? 'calibrated' : 'uncalibrated',
    });
  }
  items.push(
    {
      swatch: `<line x1="1" x2="15" y1="8" y2="8" stroke="${INK}" stroke-width="6" stroke-opacity="0.18"/>`,
      text: 'best trade-off',
    },
    {
      swatch: `<circle cx="8" cy="8" r="5.5" fill="none" stroke="${INK}" stroke-width="2"/>`,
      text: 'you are here',
    },
  );
  let x = 10;
  let y = 0;
  const parts: string[] = [];
  for (const item of items) {
    const w = 22 + item.text.length * 6.4 + 14;
    if (x + w > width - 10 && x > 10) {
      x = 10;
      y += 20;
    }
    parts.push(
      `<g transform="translate(${x},${y})">${item.swatch}<text x="20" y="12" font-size="11" fill="${INK}">${escapeXml(item.text)}</text></g>`,
    );
    x += w;
  }
  return { svg: parts.join(''), height: y + 24 };
}

/** The drawn chart with a title line above and the legend below, as an SVG document. */
export function chartSvgDocument(
  svg: SVGSVGElement,
  title: string,
  subtitle: string,
  facts: LegendFacts,
): string {
  const width = Number(svg.getAttribute('width'));
  const height = Number(svg.getAttribute('height'));
  const inner = new XMLSerializer().serializeToString(svg);
  const head = 40;
  const legend = legendMarkup(facts, width);
  const total = head + height + legend.height;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${total}" viewBox="0 0 ${width} ${total}" font-family="${escapeXml(FONT)}">`,
    `<rect width="${width}" height="${total}" fill="#fff"/>`,
    `<text x="10" y="17" font-size="13" font-weight="600" fill="${INK}">${escapeXml(title)}</text>`,
    `<text x="10" y="33" font-size="11" fill="#667085">${escapeXml(subtitle)}</text>`,
    `<g transform="translate(0,${head})">${inner}</g>`,
    `<g transform="translate(0,${head + height + 4})">${legend.svg}</g>`,
    '</svg>',
  ].join('');
}

/** Draws the SVG document at `scale` times its size and encodes it as PNG. */
export async function svgToPng(svgText: string, scale = 2): Promise<Blob> {
  const image = new Image();
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgText)}`;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(image.naturalWidth * scale);
  canvas.height = Math.round(image.naturalHeight * scale);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('this browser cannot draw a PNG (no 2-D canvas)');
  context.scale(scale, scale);
  context.drawImage(image, 0, 0);
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('the PNG could not be encoded'))),
      'image/png',
    ),
  );
}
