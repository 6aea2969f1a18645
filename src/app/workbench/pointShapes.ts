// SVG path data of the chart's point shapes (one per weight bit width), centred on (x, y) with
// about the same area, so no bit width looks heavier than another.
import type { PointShape } from './chartData.ts';

function polygon(x: number, y: number, r: number, corners: number, turn: number): string {
  const points: string[] = [];
  for (let i = 0; i < corners; i++) {
    const a = turn + (i * 2 * Math.PI) / corners;
    points.push(`${(x + r * Math.cos(a)).toFixed(2)},${(y + r * Math.sin(a)).toFixed(2)}`);
  }
  return `M${points.join('L')}Z`;
}

function star(x: number, y: number, r: number): string {
  const points: string[] = [];
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    const radius = i % 2 === 0 ? r * 1.25 : r * 0.55;
    points.push(
      `${(x + radius * Math.cos(a)).toFixed(2)},${(y + radius * Math.sin(a)).toFixed(2)}`,
    );
  }
  return `M${points.join('L')}Z`;
}

export function shapePath(shape: PointShape, x: number, y: number, r: number): string {
  switch (shape) {
    case 'circle':
      return `M${x - r},${y}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0Z`;
    case 'square':
      return polygon(x, y, r * 1.2, 4, Math.PI / 4);
    case 'diamond':
      return polygon(x, y, r * 1.3, 4, 0);
    case 'triangle':
      return polygon(x, y + r * 0.2, r * 1.45, 3, -Math.PI / 2);
    case 'triangleDown':
      return polygon(x, y - r * 0.2, r * 1.45, 3, Math.PI / 2);
    case 'hexagon':
      return polygon(x, y, r * 1.1, 6, 0);
    case 'star':
      return star(x, y, r);
  }
}
