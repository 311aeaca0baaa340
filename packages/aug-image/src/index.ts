/**
 * @trainkit/aug-image — batched, seeded augmentation of NCHW float32 images, applied in
 * train mode through the trainer's batch-start hook. Runs in Node and in browsers.
 *
 * Conventions: +x is right and +y is down; translating by (dx, dy) moves the content by
 * (dx, dy); a positive rotation angle turns the content counter-clockwise as displayed (as
 * torchvision); a horizontal flip mirrors left ↔ right (reverses W).
 * @packageDocumentation
 */
export { augment } from './plugin';
export { augmentBatch } from './augmentBatch';
export { compose } from './compose';
export { defineImageTransform } from './transform';
export { randomTranslate } from './translate';
export { randomRotation } from './rotation';
export { randomHorizontalFlip, randomVerticalFlip } from './flip';
export { randomCrop } from './crop';
export { randomResizedCrop } from './resizedCrop';
export { colorJitter } from './colorJitter';
export { randomErasing } from './erasing';
export { cutout } from './cutout';
export { mixup } from './mixup';
export { cutmix } from './cutmix';
export { softLabels } from './labels';
export { sampleBeta } from './beta';
export { imageShape } from './shape';
export { AugmentError } from './errors';

export type { Transform, PerImage, ImageTransformSpec } from './transform';
export type { ImageShape } from './shape';
export type { Compose } from './compose';
export type { AugmentPlugin, AugmentPluginOptions } from './plugin';
export type { AugmentOptions, AugmentResult } from './augmentBatch';
export type { TranslateOptions, TranslateParams } from './translate';
export type { RotationOptions, RotationParams } from './rotation';
export type { FlipOptions } from './flip';
export type { CropOptions, CropParams } from './crop';
export type { ResizedCropOptions, ResizedCropParams } from './resizedCrop';
export type { ColorJitterOptions, ColorJitterParams, JitterOp } from './colorJitter';
export type { ErasingOptions, RectParams } from './erasing';
export type { CutoutOptions } from './cutout';
export type { MixupOptions, MixupParams } from './mixup';
export type { CutmixOptions, CutmixParams } from './cutmix';
export type { Range } from './options';
