// "Copy settings": the configuration as a link (#qaf=<JSON>) or JSON that restores it, opened
// as a link or pasted into "Load settings". What is read is checked field by field against the
// defaults' types: a bad paste is refused in one sentence, never half applied.
import { WEIGHT_FORMS, type WeightForm } from '../../core/rewrite/weightForm.ts';
import { type CompressSettings, DEFAULT_SETTINGS, METHOD_LABELS } from './settings.ts';
import type { EvalSettings } from './store.ts';

export const FRAGMENT_KEY = 'qaf';

export interface SharedConfiguration {
  app: 'qaf-workbench';
  version: 1;
  settings: CompressSettings;
  /** Which evaluation images (the image count is part of what a point measured). */
  images: Pick<EvalSettings, 'subset' | 'limit'>;
}

export function sharedConfiguration(
  settings: CompressSettings,
  evalSettings: Pick<EvalSettings, 'subset' | 'limit'>,
): SharedConfiguration {
  return {
    app: 'qaf-workbench',
    version: 1,
    settings,
    images: { subset: evalSettings.subset, limit: evalSettings.limit },
  };
}

/** A link to this page that opens with the configuration loaded. */
export function settingsLink(pageUrl: string, config: SharedConfiguration): string {
  const base = pageUrl.replace(/#.*$/, '');
  return `${base}#${FRAGMENT_KEY}=${encodeURIComponent(JSON.stringify(config))}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The settings in `raw`, over the defaults; throws naming the first field that is wrong. */
function checkedSettings(raw: unknown): CompressSettings {
  if (!isObject(raw)) throw new Error('there is no "settings" object');
  const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const [key, fallback] of Object.entries(DEFAULT_SETTINGS)) {
    if (!(key in raw)) continue;
    const value = raw[key];
    const ok = Array.isArray(fallback)
      ? Array.isArray(value) && value.every((v) => typeof v === 'string')
      : typeof value === typeof fallback && (typeof value !== 'number' || Number.isFinite(value));
    if (!ok) throw new Error(`"${key}" is ${JSON.stringify(value)}`);
    out[key] = value;
  }
  if (!(String(out.method) in METHOD_LABELS)) throw new Error(`unknown method "${out.method}"`);
  if (raw.qafObjective !== undefined) {
    if (raw.qafObjective !== 'data' && raw.qafObjective !== 'published') {
      throw new Error(`"qafObjective" is ${JSON.stringify(raw.qafObjective)}`);
    }
    out.qafObjective = raw.qafObjective;
  }
  if (raw.weightForm !== undefined) {
    if (!WEIGHT_FORMS.includes(raw.weightForm as WeightForm)) {
      throw new Error(`"weightForm" is ${JSON.stringify(raw.weightForm)}`);
    }
    out.weightForm = raw.weightForm;
  }
  if (raw.latencyGuard !== undefined) {
    if (typeof raw.latencyGuard !== 'boolean') {
      throw new Error(`"latencyGuard" is ${JSON.stringify(raw.latencyGuard)}`);
    }
    out.latencyGuard = raw.latencyGuard;
  }
  if (raw.overrides !== undefined) {
    if (!isObject(raw.overrides)) throw new Error('"overrides" is not an object');
    out.overrides = raw.overrides;
  }
  return out as unknown as CompressSettings;
}

function checkedImages(raw: unknown): SharedConfiguration['images'] | null {
  if (!isObject(raw)) return null;
  const subset = raw.subset === 'full' ? 'full' : 'quick';
  const limit = typeof raw.limit === 'number' && raw.limit > 0 ? raw.limit : null;
  return { subset, limit };
}

/** Reads a copied link (or its #qaf= fragment) or the JSON; throws a message a user can act on. */
export function parseSharedConfiguration(text: string): {
  settings: CompressSettings;
  images: SharedConfiguration['images'] | null;
} {
  const trimmed = text.trim();
  const at = trimmed.indexOf(`#${FRAGMENT_KEY}=`);
  let json = trimmed;
  if (at >= 0) {
    try {
      json = decodeURIComponent(trimmed.slice(at + FRAGMENT_KEY.length + 2));
    } catch {
      throw new Error('The link is cut or damaged: copy it again with "Copy settings".');
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(
      'These are not QAF Workbench settings: paste the link or JSON that "Copy settings" gives.',
    );
  }
  if (!isObject(value) || value.app !== 'qaf-workbench') {
    throw new Error(
      'These are not QAF Workbench settings: paste the link or JSON that "Copy settings" gives.',
    );
  }
  try {
    return { settings: checkedSettings(value.settings), images: checkedImages(value.images) };
  } catch (err) {
    throw new Error(`These settings cannot be used: ${(err as Error).message}.`);
  }
}
