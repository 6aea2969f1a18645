import { useEffect, useState } from 'react';
import { guessDatasetFormat } from '../../core/data/loadDataset.ts';
import { openModelFile } from '../modelActions.ts';
import { loadDatasetFile } from '../workbench/datasetActions.ts';

function hasFiles(event: DragEvent): boolean {
  return event.dataTransfer?.types.includes('Files') ?? false;
}

/** Lets a model be dropped anywhere on the page; shows an overlay while a file is dragged over. */
export function FileDropTarget() {
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    // dragenter/dragleave fire for every child element; counting them tells when the pointer
    // really leaves the window.
    let depth = 0;
    const onEnter = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      depth++;
      setDragging(true);
    };
    const onLeave = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const onOver = (event: DragEvent) => {
      // Without preventDefault the browser opens the file itself instead of dropping it here.
      if (hasFiles(event)) event.preventDefault();
    };
    const onDrop = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      setDragging(false);
      const file = event.dataTransfer?.files[0];
      if (!file) return;
      // Data files (.bin, .zip, .npy) become the evaluation set; anything else is a model.
      if (guessDatasetFormat(file.name)) void loadDatasetFile('evaluation', file);
      else void openModelFile(file);
    };
    window.addEventListener('dragenter', onEnter);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('dragover', onOver);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragenter', onEnter);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('drop', onDrop);
    };
  }, []);

  if (!dragging) return null;
  return (
    <div className="drop-overlay" aria-hidden="true">
      <div className="drop-overlay-box">
        Drop an .onnx model, or evaluation data (.bin, .zip, .npy)
      </div>
    </div>
  );
}
