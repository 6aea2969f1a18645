import { useRef } from 'react';
import { openModelFile } from '../modelActions.ts';

/** The visible "Open model" button over a hidden file input. */
export function OpenModelButton({ primary = false }: { primary?: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button
        type="button"
        className={primary ? 'button button-primary' : 'button'}
        onClick={() => input.current?.click()}
      >
        Open model
      </button>
      <input
        ref={input}
        type="file"
        accept=".onnx"
        aria-label="ONNX model file"
        hidden
        onChange={(event) => {
          const file = event.currentTarget.files?.[0];
          // Cleared so choosing the same file again still fires a change.
          event.currentTarget.value = '';
          if (file) void openModelFile(file);
        }}
      />
    </>
  );
}
