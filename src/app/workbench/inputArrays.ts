// The user's arrays for the open model's inputs (issue #12, the CLI's --inputs): one .npy per
// input, named after it, or a .npz of them. The model worker matches them to the model's inputs
// with the core's reader (errors name the array, the input and both shapes); the run's check then
// feeds them instead of calibration images, so a model that is not an image classifier is judged
// on its own data.
import * as Comlink from 'comlink';
import type { TensorSet } from '../../core/data/tensors.ts';
import { modelWorker } from '../bridge/modelClient.ts';
import { useAppStore } from '../store.ts';
import { errorMessage } from './datasetActions.ts';
import { useSession } from './store.ts';

/** The loaded arrays' tensors, for the model they were matched to (the store has their summary). */
let held: { modelId: string; set: TensorSet } | null = null;

/** The tensors of the arrays matched to `modelId`, or null. */
export function inputArraysFor(modelId: string): TensorSet | null {
  const shown = useSession.getState().inputArrays;
  return held && shown?.modelId === modelId && held.modelId === modelId ? held.set : null;
}

/** Reads the files and matches them to the open model's inputs; an error stays beside the slot. */
export async function loadInputArrays(files: readonly File[]): Promise<void> {
  const model = useAppStore.getState().model;
  useSession.setState({ inputArraysError: null });
  if (!model) return;
  const names = files.map((f) => f.name);
  try {
    const read = await Promise.all(
      files.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })),
    );
    const set = await modelWorker().inputArrays(
      model.modelId,
      Comlink.transfer(
        read,
        read.map((r) => r.bytes),
      ),
    );
    held = { modelId: model.modelId, set };
    useSession.setState({
      inputArrays: { modelId: model.modelId, fileNames: names, summary: describeTensorSet(set) },
    });
  } catch (err) {
    useSession.setState({
      inputArraysError: {
        modelId: model.modelId,
        text: `Could not use ${names.join(', ')}: ${errorMessage(err)}`,
      },
    });
  }
}

export function unloadInputArrays(): void {
  held = null;
  useSession.setState({ inputArrays: null, inputArraysError: null });
}

/** "32 samples: audio [16000] float32". */
export function describeTensorSet(set: TensorSet): string {
  const inputs = set.inputs.map((i) => `${i.name} [${i.dims.join(', ')}] ${i.type}`);
  const n = set.count;
  return `${n.toLocaleString('en-US')} sample${n === 1 ? '' : 's'}: ${inputs.join('; ')}`;
}
