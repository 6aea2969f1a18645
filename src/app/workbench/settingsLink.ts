// Applying shared settings: from "Load settings", or from a link opened with #qaf=... (read
// once at start, then removed from the address bar so a reload keeps the user's later changes).
import { create } from 'zustand';
import { useAppStore } from '../store.ts';
import { FRAGMENT_KEY, parseSharedConfiguration } from './settingsShare.ts';
import { updateEvalSettings, useWorkbench } from './store.ts';

export const useSettingsLinkNotice = create<{ message: string | null; error: boolean }>(() => ({
  message: null,
  error: false,
}));

/** Loads the configuration in `text`; returns the problem in words, or null when applied. */
export function applySharedSettings(text: string): string | null {
  try {
    const { settings, images } = parseSharedConfiguration(text);
    useWorkbench.setState({ settings });
    if (images) updateEvalSettings(images);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The link's configuration is applied again when the first model opens: the demo (and a
 * model's own defaults) would otherwise replace it.
 */
function reapplyOnFirstModel(text: string): void {
  const stop = useAppStore.subscribe((s, prev) => {
    if (!s.model || s.model === prev.model) return;
    stop();
    applySharedSettings(text);
  });
}

export function loadSettingsFromLocation(): void {
  const hash = globalThis.location?.hash ?? '';
  if (!hash.startsWith(`#${FRAGMENT_KEY}=`)) return;
  const problem = applySharedSettings(hash);
  if (!problem && !useAppStore.getState().model) reapplyOnFirstModel(hash);
  useSettingsLinkNotice.setState(
    problem
      ? { message: `The link's settings were not loaded. ${problem}`, error: true }
      : { message: 'Settings loaded from the link.', error: false },
  );
  history.replaceState(null, '', `${location.pathname}${location.search}`);
}
