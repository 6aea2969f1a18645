import { describe, expect, it } from 'vitest';
import { configurationTitle, htmlReport } from '../../../src/app/workbench/htmlReport.ts';
import {
  DEFAULT_SETTINGS,
  METHOD_LABELS,
  outputForm,
} from '../../../src/app/workbench/settings.ts';
import {
  parseSharedConfiguration,
  settingsLink,
  sharedConfiguration,
} from '../../../src/app/workbench/settingsShare.ts';
import type { ResultRow } from '../../../src/app/workbench/store.ts';

const settings = { ...DEFAULT_SETTINGS, method: 'ptq-tensor' as const, bits: 3, calibrate: false };

describe('copy settings', () => {
  it('a link and its JSON restore the same settings and images', () => {
    const config = sharedConfiguration(settings, { subset: 'quick', limit: 200 });
    const link = settingsLink('http://x.test/app/?testHooks#old', config);
    expect(link.startsWith('http://x.test/app/?testHooks#qaf=')).toBe(true);
    for (const text of [link, ` ${JSON.stringify(config)}\n`]) {
      const parsed = parseSharedConfiguration(text);
      expect(parsed.settings).toEqual(settings);
      expect(parsed.images).toEqual({ subset: 'quick', limit: 200 });
    }
  });

  it("keeps QAF's objective, and refuses an unknown one", () => {
    const published = { ...DEFAULT_SETTINGS, qafObjective: 'published' as const };
    const link = settingsLink(
      'http://x.test/',
      sharedConfiguration(published, { subset: 'quick', limit: null }),
    );
    expect(parseSharedConfiguration(link).settings).toEqual(published);
    expect(() =>
      parseSharedConfiguration(
        JSON.stringify({ app: 'qaf-workbench', version: 1, settings: { qafObjective: 'x' } }),
      ),
    ).toThrow('"qafObjective" is "x"');
  });

  it('keeps the weight form and the latency guard, and refuses unknown ones', () => {
    const formed = { ...DEFAULT_SETTINGS, weightForm: 'load' as const, latencyGuard: true };
    const link = settingsLink(
      'http://x.test/',
      sharedConfiguration(formed, { subset: 'quick', limit: null }),
    );
    expect(parseSharedConfiguration(link).settings).toEqual(formed);
    const bad = (extra: object) =>
      JSON.stringify({ app: 'qaf-workbench', version: 1, settings: extra });
    expect(() => parseSharedConfiguration(bad({ weightForm: 'int4' }))).toThrow(
      '"weightForm" is "int4"',
    );
    expect(() => parseSharedConfiguration(bad({ latencyGuard: 'yes' }))).toThrow(
      '"latencyGuard" is "yes"',
    );
  });

  it('the latency guard takes weights folded at load unless the user chose float', () => {
    expect(outputForm({})).toEqual({ weightForm: 'dequantize', latencyGuard: false });
    expect(outputForm({ latencyGuard: true })).toEqual({ weightForm: 'load', latencyGuard: true });
    // With 8-bit activations the guard times the quantized forms: it stays on (the file keeps
    // its DequantizeLinear weights whatever the form).
    expect(outputForm({ latencyGuard: true, actBits: 8 })).toEqual({
      weightForm: 'load',
      latencyGuard: true,
    });
    expect(outputForm({ weightForm: 'float', latencyGuard: true })).toEqual({
      weightForm: 'float',
      latencyGuard: true,
    });
  });

  it('fills fields missing from older copies with the defaults', () => {
    const parsed = parseSharedConfiguration(
      JSON.stringify({ app: 'qaf-workbench', version: 1, settings: { bits: 8 } }),
    );
    expect(parsed.settings).toEqual({ ...DEFAULT_SETTINGS, bits: 8 });
    expect(parsed.images).toBeNull();
  });

  it('refuses what is not ours, or a wrong field, in one sentence', () => {
    expect(() => parseSharedConfiguration('hello')).toThrow(/not QAF Workbench settings/);
    expect(() => parseSharedConfiguration('{"settings":{}}')).toThrow(/not QAF Workbench/);
    const bad = (s: object) => JSON.stringify({ app: 'qaf-workbench', version: 1, settings: s });
    expect(() => parseSharedConfiguration(bad({ bits: 'four' }))).toThrow(/"bits" is "four"/);
    expect(() => parseSharedConfiguration(bad({ method: 'magic' }))).toThrow(/unknown method/);
    expect(() => parseSharedConfiguration('http://x/#qaf=%E0%A4%A')).toThrow(/cut or damaged/);
  });
});

describe('HTML report', () => {
  const row: ResultRow = {
    id: 'r1',
    createdAt: Date.UTC(2026, 11, 2),
    modelFileName: 'net<1>.onnx',
    settings,
    layers: [{ name: '/conv<a>', rank: 0, error: 0.125 }],
    calibrated: false,
    meanError: 0.125,
    bopPercent: 9.5,
    params: 100,
    sizeBytes: 2048,
    floatSizeBytes: 8192,
    evaluation: {
      accuracy: 0.8,
      top5: null,
      agreement: 0.9,
      klDiv: 0.01,
      images: 200,
      latencyMs: { median: 1, p90: 2 },
      referenceLatencyMs: { median: 2, p90: 3 },
      threads: 1,
    },
    dataFileName: 'data.bin',
    dataHash: 'd'.repeat(64),
    modelHash: 'a'.repeat(64),
  };

  it('names the configuration, escapes what it quotes, and holds no script', () => {
    const html = htmlReport({
      row,
      original: { accuracy: 0.85, images: 200, latencyMs: null, sizeBytes: 8192 },
      charts: [{ title: 'Accuracy vs compute', svg: '<svg xmlns="http://www.w3.org/2000/svg"/>' }],
      app: { name: 'qaf-workbench', version: '1.2.3' },
      settingsLink: 'http://x/#qaf=%7B%7D',
      generatedAt: '2026-12-02T00:00:00.000Z',
    });
    const title = `${METHOD_LABELS['ptq-tensor']}, 3-bit weights, float activations, not calibrated`;
    expect(configurationTitle(row)).toBe(title);
    expect(html).toContain(`<h1>net&#60;1&#62;.onnx: ${title}</h1>`);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('net&#60;1&#62;.onnx');
    expect(html).toContain('/conv&#60;a&#62;');
    expect(html).toContain('a'.repeat(64));
    expect(html).toContain('80.00 %');
    expect(html).toContain('85.00 %');
    expect(html).toContain('<figcaption>Accuracy vs compute</figcaption><svg');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('QAF objective');
    const objective = "data-aware: solved for the layers' inputs on 256 images";
    const dataAware = htmlReport({
      row: { ...row, objective },
      original: null,
      charts: [],
      app: { name: 'qaf-workbench', version: '1.2.3' },
      settingsLink: 'http://x/#qaf=%7B%7D',
      generatedAt: '2026-12-02T00:00:00.000Z',
    });
    expect(dataAware).toContain('QAF objective');
    expect(dataAware).toContain('solved for the layers&#39; inputs on 256 images');
  });
});
