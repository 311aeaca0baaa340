/**
 * @trainkit/progress — metric history (JSON/CSV) and SVG training charts. Runs in Node and
 * in browsers; the terminal progress bars and the file writers live in
 * `@trainkit/progress/node`.
 * @packageDocumentation
 */
export { metricHistory, historyToCsv, metricNames, stepRecord } from './history';
export { lineChartSvg, niceTicks } from './chart';
export { trainingCurvesSvg, smoothSeries, stepPositions, plural } from './curves';
export { formatDuration, formatEpochLine } from './format';

export type { MetricHistory, MetricHistoryOptions, StepRecord } from './history';
export type { ChartSeries, LineChartOptions } from './chart';
export type { TrainingCurvesOptions } from './curves';
