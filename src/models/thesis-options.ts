/**
 * Options shared by the thesis models of document 001 (SimpleCNN, ThesisVGG, UNet, ResUNet,
 * ResUNetECSA, ResUNetFPRM, DResUNet).
 */
import type { UpsampleMode } from '../blocks/unet';

/** Activation of a model's output layer; `linear` gives logits. */
export type ClassifierActivation = 'softmax' | 'sigmoid' | 'linear';

/** What a UNet-family model outputs: a pooled classifier or per-pixel maps at input size. */
export type ThesisHead = 'classify' | 'segment';

/** Options every thesis model accepts. */
export interface ThesisModelOptions {
  /** `[height, width, channels]` of one image; default `[256, 256, 1]` (the thesis's table 5.1 size, 1-channel CT). */
  inputShape?: [number, number, number];
  /** Number of output classes; default 2. */
  classes?: number;
  /** Base width: channels of the first stage, later stages are multiples of it. Default as each builder documents. */
  filters?: number;
  /** Output activation; default `softmax`, or `sigmoid` when `classes` is 1. */
  classifierActivation?: ClassifierActivation;
  /** Seed for the kernel initialisers (and dropout); omit for unseeded defaults. */
  seed?: number;
}

/** Options of the UNet family (UNet, ResUNet and its variants, DResUNet). */
export interface UNetFamilyOptions extends ThesisModelOptions {
  /** `classify` (default): pooled classifier as the thesis uses them; `segment`: per-pixel outputs `[b, h, w, classes]` at input size. */
  head?: ThesisHead;
  /** How decoder stages upsample; default `bilinear`. */
  upsample?: UpsampleMode;
}
