import { describe, expect, it } from 'vitest';
import {
  defaultPreprocessSpec,
  IMAGENET_MEAN,
  IMAGENET_STD,
  makeBatch,
} from '../../src/core/data/preprocess.ts';
import type { Dataset, DatasetImage, PreprocessSpec } from '../../src/core/data/types.ts';

function datasetOf(images: DatasetImage[]): Dataset {
  return {
    count: images.length,
    width: images[0].width,
    height: images[0].height,
    channels: images[0].channels,
    pixelType: images[0].data instanceof Float32Array ? 'float32' : 'uint8',
    labels: null,
    classNames: null,
    itemNames: null,
    getImage: (i) => images[i],
  };
}

const identity: PreprocessSpec = {
  width: 2,
  height: 1,
  resize: 'none',
  channelOrder: 'RGB',
  scale: 1,
  mean: [0, 0, 0],
  std: [1, 1, 1],
  layout: 'NCHW',
};

// 2x1 image: pixel 0 = (1, 2, 3), pixel 1 = (4, 5, 6)
const tiny = datasetOf([
  { width: 2, height: 1, channels: 3, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) },
]);

describe('defaultPreprocessSpec', () => {
  it('guesses NCHW with ImageNet statistics for the CIFAR ResNets', () => {
    expect(defaultPreprocessSpec(['batch', 3, 32, 32])).toEqual({
      width: 32,
      height: 32,
      resize: 'bilinear',
      channelOrder: 'RGB',
      scale: 1 / 255,
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
      layout: 'NCHW',
    });
  });

  it('guesses NHWC, takes symbolic sizes from the dataset, and passes float inputs through', () => {
    expect(defaultPreprocessSpec([1, 224, 224, 3]).layout).toBe('NHWC');
    const spec = defaultPreprocessSpec(['n', 3, 'h', 'w'], {
      width: 40,
      height: 30,
      pixelType: 'float32',
    });
    expect([spec.width, spec.height, spec.scale, spec.mean, spec.std]).toEqual([
      40,
      30,
      1,
      [0, 0, 0],
      [1, 1, 1],
    ]);
    expect(() => defaultPreprocessSpec(['n', 10])).toThrow(/only image inputs/);
  });
});

describe('makeBatch', () => {
  it('writes NCHW with scale, mean and std per channel', () => {
    const spec = { ...identity, scale: 0.5, mean: [0, 1, 2], std: [1, 2, 4] };
    // channel c value = (v * 0.5 - mean[c]) / std[c]
    expect(Array.from(makeBatch(tiny, spec, [0]))).toEqual([0.5, 2, 0, 0.75, -0.125, 0.25]);
  });

  it('writes NHWC and swaps to BGR', () => {
    const out = makeBatch(tiny, { ...identity, layout: 'NHWC', channelOrder: 'BGR' }, [0, 0]);
    expect(Array.from(out)).toEqual([3, 2, 1, 6, 5, 4, 3, 2, 1, 6, 5, 4]);
  });

  it('resizes with nearest and half-pixel bilinear', () => {
    const grey = datasetOf([{ width: 2, height: 1, channels: 1, data: Uint8Array.from([0, 255]) }]);
    const spec = { ...identity, width: 4, mean: [0], std: [1] };
    expect(Array.from(makeBatch(grey, { ...spec, resize: 'nearest' }, [0]))).toEqual([
      0, 0, 255, 255,
    ]);
    expect(Array.from(makeBatch(grey, { ...spec, resize: 'bilinear' }, [0]))).toEqual([
      0, 63.75, 191.25, 255,
    ]);
  });

  it('replicates grey into three channels', () => {
    const grey = datasetOf([{ width: 1, height: 1, channels: 1, data: Uint8Array.from([9]) }]);
    expect(Array.from(makeBatch(grey, { ...identity, width: 1 }, [0]))).toEqual([9, 9, 9]);
  });

  it('refuses a size mismatch when resize is none', () => {
    expect(() => makeBatch(tiny, { ...identity, width: 3 }, [0])).toThrow(
      /2x1 but the model takes 3x1/,
    );
  });
});
