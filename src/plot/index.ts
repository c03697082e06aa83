/**
 * Browser-free plots: training curves, ROC curves, confusion matrices and image grids as
 * renderer-independent figures, written as SVG (no dependency) or PNG (resvg when installed,
 * else a built-in bitmap renderer).
 * @module plot
 */
export type { Color, LineMark, RectMark, TextMark, ImageMark, Mark, Figure } from './figure';
export { PALETTE } from './figure';
export type { ChartOptions } from './axes';
export {
  type LineSeries,
  type LineChartOptions,
  type HistoryChartOptions,
  lineChart,
  historyChart,
} from './line-chart';
export { type RocChartCurve, type RocCurve, type RocChartOptions, rocChart } from './roc-chart';
export { type ConfusionMatrixChartOptions, confusionMatrixChart } from './confusion-matrix-chart';
export { type GridPixels, type GridImage, type ImageGridOptions, imageGrid } from './image-grid';
export { renderSvg } from './svg';
export { rasterize } from './raster';
export { type PngRenderer, type PngOptions, type RenderedPng, renderPng } from './png';
export { saveFigure } from './save';
