// The confusion matrix, per-class scores and their table and picture live in @trainkit/inspect
// (browser-safe, beside Grad-CAM and top losses); the CLI keeps its names for them.
export { confusionCounts as confusionMatrix, classScores, table, confusionTable, scoresTable, confusionSvg } from '@trainkit/inspect';
export type { ClassScores } from '@trainkit/inspect';
