/**
 * Data: PNG/JPEG, DICOM and NIfTI decoding, dataset folder layouts, splits and batching, and synthetic CT / X-ray phantoms.
 *
 * The byte decoders (`decodePng`, `decodeImage`, `decodeDicom`, `decodeDicomAsync`,
 * `decodeNifti`, `stackDicomSeries`) import no Node built-in; reading by path
 * (`readDicom`, `readDicomSeries`, `readNifti`, `readImage`) and the dataset layouts are
 * Node-only.
 * @module data
 */
// Byte decoders and encoders (Node and browser).
export { type PngImage, encodePng } from './png';
export { type DecodedPng, decodePng } from './png-decode';
export {
  type DecodedImage,
  type ImageReadOptions,
  sniffImageFormat,
  convertChannels,
  decodeImage,
  imageToTensor,
} from './image';
export { type DicomImage, type DicomDecodeOptions, decodeDicom, decodeDicomAsync } from './dicom';
export { type DicomWindow, type DicomVoiLut, type WindowableImage, applyDicomWindow } from './dicom-window';
export {
  type DicomSeriesWarningCode,
  type DicomSeriesWarning,
  type DicomSeriesOptions,
  type DicomVolume,
  type DicomSlice,
  stackDicomSeries,
} from './dicom-series';
export { type NiftiImage, type NiftiDecodeOptions, decodeNifti } from './nifti';
export { dicomVolumeToSlices, niftiToSlices } from './volume';
// Synthetic phantoms.
export {
  type PhantomDifficulty,
  type CtFindingMix,
  type CtDifficultyOptions,
  type CtPhantomOptions,
  type PhantomSet,
  type PhantomArrays,
  ctPhantomArrays,
  ctPhantoms,
} from './ct-phantoms';
export {
  type XrayDifficultyOptions,
  type XrayPhantomOptions,
  xrayPhantomArrays,
  xrayPhantoms,
} from './xray-phantoms';
export { type CtSeriesPhantomOptions, type CtSeriesSet, ctSeriesPhantoms } from './ct-series-phantoms';
// Splits and batching.
export {
  type LabelsLike,
  type SplitFractions,
  type StratifiedSplitOptions,
  type SplitIndices,
  stratifiedSplit,
  classCounts,
  type ClassWeightOptions,
  classWeights,
} from './splits';
export { type BatchOptions, batchIndices, type Batch, BatchIterator, batches, takeRows } from './batching';
// Node-only: reading by path, file-backed datasets and their folder layouts.
export { readDicom, type ReadDicomSeriesOptions, readDicomSeries, readNifti, readImage } from './node-files';
export {
  type DatasetItem,
  type StreamOptions,
  type StreamBatch,
  type DatasetSplit,
  FileDataset,
} from './dataset';
export {
  IMAGE_EXTENSIONS,
  type LayoutOptions,
  type ClassFolderOptions,
  classFolderDataset,
  type CovidCtOptions,
  covidCtDataset,
  type CtSeriesOptions,
  ctSeriesDataset,
  type CsvOptions,
  csvDataset,
} from './layouts';
