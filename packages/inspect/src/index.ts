/**
 * @trainkit/inspect — look inside a trained network: first-layer filters, activation maps,
 * Grad-CAM, the examples with the highest loss, the confusion matrix, how far each layer moved
 * between two models, and two models' pictures for the same inputs side by side. Pure
 * functions returning data and SVG strings; runs in browsers.
 * @packageDocumentation
 */
export { filterGrid } from './filters';
export { activationMaps } from './activations';
export { gradCam } from './gradcam';
export { topLosses } from './topLosses';
export { confusionMatrix, confusionCounts, classScores, confusionTable, scoresTable, confusionSvg, table } from './confusion';
export { compareModels, sideBySide } from './compare';
export { compareOnInputs } from './compareInputs';
export { InspectError } from './errors';
export { gridSvg, gray, diverging, heat } from './svg';
export { bilinear } from './upsample';

export type { FilterGrid, FilterGridOptions } from './filters';
export type { ActivationMaps, ActivationMapOptions } from './activations';
export type { GradCam, GradCamOptions } from './gradcam';
export type { TopLosses, TopLossOptions, LossExample, LabelledData } from './topLosses';
export type { ConfusionMatrix, ClassScores } from './confusion';
export type { ModelComparison, LayerChange } from './compare';
export type { InputComparison, InputComparisonOptions } from './compareInputs';
export type { Tile, Rgb, GridOptions } from './svg';
export type { Palette } from './tiles';
