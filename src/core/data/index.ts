// Public surface of the evaluation-data core (pure: the image decoder is injected).
export { CIFAR10_CLASS_NAMES, parseCifar10 } from './cifar10.ts';
export { assignClassLabels, type ClassAssignment } from './classFolders.ts';
export { guessDatasetFormat, isDatasetFormat, loadDataset } from './loadDataset.ts';
export {
  type NpyArray,
  type NpyDtype,
  type NpyHeader,
  parseNpyArray,
  parseNpyHeader,
  parseNpyImages,
} from './npy.ts';
export {
  defaultPreprocessSpec,
  IMAGENET_MEAN,
  IMAGENET_STD,
  makeBatch,
  specChannels,
} from './preprocess.ts';
export { QUICK_SUBSET_SIZE, rangeIndices, type SubsetName, subsetIndices } from './subset.ts';
export * from './tensors.ts';
export * from './types.ts';
export { parseImageZip, sniffImageMime, type ZipImagesOptions } from './zipImages.ts';
