// "Copy settings" (a link that opens the app with this configuration, or its JSON) and "Load
// settings" (paste either back). A link opened with #qaf=... is loaded at start (settingsLink.ts).
import { useState } from 'react';
import { applySharedSettings, useSettingsLinkNotice } from '../workbench/settingsLink.ts';
import { settingsLink, sharedConfiguration } from '../workbench/settingsShare.ts';
import { useWorkbench } from '../workbench/store.ts';

function currentLink(): string {
  const { settings, evalSettings } = useWorkbench.getState();
  return settingsLink(location.href, sharedConfiguration(settings, evalSettings));
}

export function SettingsShare() {
  const notice = useSettingsLinkNotice();
  const [copied, setCopied] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const copy = async () => {
    const link = currentLink();
    try {
      await navigator.clipboard.writeText(link);
      setCopied('Link copied: opening it (or pasting it into “Load settings”) restores them.');
    } catch {
      // No clipboard permission: show the link to copy by hand.
      setCopied(link);
    }
  };
  const load = () => {
    const error = applySharedSettings(text);
    setProblem(error);
    if (!error) setText('');
  };
  return (
    <div className="settings-share small" data-testid="settings-share">
      <button type="button" className="button button-small" onClick={() => void copy()}>
        Copy settings
      </button>
      <details>
        <summary>Load settings</summary>
        <input
          type="text"
          aria-label="Settings to load"
          placeholder="paste a settings link or JSON"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="button" className="button button-small" onClick={load}>
          Load
        </button>
        {problem && (
          <span className="field-error" role="alert" data-testid="settings-load-error">
            {problem}
          </span>
        )}
      </details>
      {copied && (
        <output className="muted settings-copied" data-testid="settings-copied">
          {copied}
        </output>
      )}
      {notice.message && (
        <span
          className={notice.error ? 'field-error' : 'muted'}
          role={notice.error ? 'alert' : 'status'}
          data-testid="settings-link-notice"
        >
          {notice.message}
        </span>
      )}
    </div>
  );
}
