import {
  type Transform,
  colorJitter,
  compose,
  cutmix,
  cutout,
  mixup,
  randomErasing,
  randomHorizontalFlip,
  randomResizedCrop,
  randomRotation,
  randomTranslate,
} from '@trainkit/aug-image';

/** The rows of the preview after the originals: a label and the transform that makes the row. */
export const PREVIEW_ROWS: ReadonlyArray<{ label: string; transform: Transform }> = [
  { label: 'translate ±2 px', transform: randomTranslate({ max: 2 }) },
  { label: 'rotate ±10°', transform: randomRotation({ degrees: 10 }) },
  { label: 'both (CNN run)', transform: compose([randomTranslate({ max: 2 }), randomRotation({ degrees: 10 })]) },
  { label: 'rotate ±45°', transform: randomRotation({ degrees: 45 }) },
  { label: 'horizontal flip', transform: randomHorizontalFlip({ p: 1 }) },
  { label: 'resized crop', transform: randomResizedCrop({ scale: [0.5, 1] }) },
  { label: 'bright/contrast', transform: colorJitter({ brightness: 0.6, contrast: 0.6 }) },
  { label: 'random erasing', transform: randomErasing({ p: 1 }) },
  { label: 'cutout 10 px grey', transform: cutout({ size: 10, value: 0.5 }) },
  { label: 'mixup', transform: mixup({ alpha: 1 }) },
  { label: 'cutmix', transform: cutmix({ alpha: 1 }) },
];
