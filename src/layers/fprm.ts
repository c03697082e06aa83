/**
 * FPRM, the thesis's feature-pyramid refinement module, in our documented reading.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkOneOf, checkPositiveInt } from '../util/checks';
import { ecaGate, type EcaPooling } from './attention-ops';
import { ECA_POOLINGS, ecaKernelSize } from './eca';
import { baseArgs, glorot, type CallKwargs, type LayerBaseOptions } from './layer-options';

/** How FPRM merges the projected maps. */
export type FPRMFusion = 'sum' | 'concat';

/** How FPRM resizes the maps to the target size. */
export type FPRMInterpolation = 'bilinear' | 'nearest';

/** Options of {@link FPRM}. */
export interface FPRMOptions extends LayerBaseOptions {
  /** Common width F: every map is projected to F channels; the output has F channels. */
  filters: number;
  /**
   * `'sum'` (default): Σ of the projected maps; `'concat'`: concatenation then a 1×1
   * conv-BN-ReLU back to F channels.
   */
  fusion?: FPRMFusion;
  /** Index of the input whose height and width the output takes. Default 0 (the first map). */
  targetIndex?: number;
  /** Resizing of the other maps: `'bilinear'` (default, half-pixel centres) or `'nearest'`. */
  interpolation?: FPRMInterpolation;
  /** Gate the refined map with ECA. Default `true`. */
  eca?: boolean;
  /** ECA pooling when `eca` is on. Default `'avgmax'`, as the thesis's ECA. */
  ecaPooling?: EcaPooling;
  /** Batch-norm momentum of the moving statistics (Keras convention). Default 0.99. */
  momentum?: number;
  /** Batch-norm epsilon. Default 1e-3. */
  epsilon?: number;
  /** Seed of the Glorot-uniform kernel initialisers; unseeded when omitted. */
  seed?: number;
}

const CLS = 'FPRM';

interface BnVars {
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  mean: tfl.LayerVariable;
  variance: tfl.LayerVariable;
}

/**
 * Feature-pyramid refinement module. The DResUNet thesis (§3.1) adds an "fprm" module "to
 * facilitate the fusion of information between high-level semantic information and low-level
 * features" without giving its structure; this is our reading, in the spirit of FPN (Lin et
 * al., CVPR 2017) and of the refinement residual blocks of DFN (Yu et al., CVPR 2018):
 *
 * 1. resize every map `x_i [N, H_i, W_i, C_i]` to the target map's `H × W`;
 * 2. project: `p_i = ReLU(BN_i(conv1×1(x_i)))`, each to F channels;
 * 3. fuse: `f = Σ p_i` (`'sum'`) or `f = ReLU(BN(conv1×1(concat(p_i))))` (`'concat'`);
 * 4. refine with a residual: `r = f + ReLU(BN(conv3×3(f)))`;
 * 5. optionally gate: `y = r ⊙ σ(conv1d_k(GAP(r)) + conv1d_k(GMP(r)))` (ECA, see {@link ECA}).
 *
 * Inputs: a list of maps `[batch, H_i, W_i, C_i]` (one tensor is accepted as a list of one);
 * output `[batch, H, W, filters]`. Weights per input i: `proj{i}_kernel [1,1,C_i,F]` and
 * `proj{i}_bn_{gamma,beta,moving_mean,moving_variance}`; then `fuse_*` (concat only),
 * `refine_kernel [3,3,F,F]`, `refine_bn_*` and `eca_kernel [k,1,1]`. Convolutions have no
 * bias (BN follows). Batch statistics are used and the moving ones updated when called with
 * `training: true`, as tfjs-layers' BatchNormalization does.
 */
export class FPRM extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = CLS;
  /** Common width. */
  readonly filters: number;
  /** Fusion mode. */
  readonly fusion: FPRMFusion;
  /** Index of the input giving the output size. */
  readonly targetIndex: number;
  /** Resizing mode. */
  readonly interpolation: FPRMInterpolation;
  /** Whether an ECA gate follows the refinement. */
  readonly eca: boolean;
  /** ECA pooling. */
  readonly ecaPooling: EcaPooling;
  /** Batch-norm momentum. */
  readonly momentum: number;
  /** Batch-norm epsilon. */
  readonly epsilon: number;
  /** Initialiser seed, if given. */
  readonly seed: number | undefined;
  private channels: number[] | null = null;
  private projKernels: tfl.LayerVariable[] = [];
  private projBn: BnVars[] = [];
  private fuseKernel: tfl.LayerVariable | null = null;
  private fuseBn: BnVars | null = null;
  private refineKernel: tfl.LayerVariable | null = null;
  private refineBn: BnVars | null = null;
  private ecaKernel: tfl.LayerVariable | null = null;

  /** @param opts See {@link FPRMOptions}. */
  constructor(opts: FPRMOptions) {
    super(baseArgs(opts));
    if (!opts || opts.filters === undefined) throw new Error(`${CLS}: 'filters' is required`);
    checkPositiveInt(opts.filters, 'filters', CLS);
    this.filters = opts.filters;
    this.fusion = opts.fusion ?? 'sum';
    this.targetIndex = opts.targetIndex ?? 0;
    this.interpolation = opts.interpolation ?? 'bilinear';
    this.eca = opts.eca ?? true;
    this.ecaPooling = opts.ecaPooling ?? 'avgmax';
    this.momentum = opts.momentum ?? 0.99;
    this.epsilon = opts.epsilon ?? 1e-3;
    this.seed = opts.seed ?? undefined;
    checkOneOf(this.fusion, ['sum', 'concat'], 'fusion', CLS);
    checkOneOf(this.interpolation, ['bilinear', 'nearest'], 'interpolation', CLS);
    checkOneOf(this.ecaPooling, ECA_POOLINGS, 'ecaPooling', CLS);
    if (!Number.isInteger(this.targetIndex) || this.targetIndex < 0) {
      throw new Error(`${CLS}: 'targetIndex' must be a non-negative integer; got ${this.targetIndex}`);
    }
    if (!(this.momentum >= 0 && this.momentum < 1)) {
      throw new Error(`${CLS}: 'momentum' must be in [0, 1); got ${this.momentum}`);
    }
    if (!(this.epsilon > 0)) throw new Error(`${CLS}: 'epsilon' must be positive; got ${this.epsilon}`);
  }

  private shapesOf(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape[] {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as tfl.Shape[];
    if (shapes.length === 0) throw new Error(`${CLS}: needs at least one input map`);
    if (this.targetIndex >= shapes.length) {
      throw new Error(
        `${CLS}: 'targetIndex' ${this.targetIndex} is out of range for ${shapes.length} inputs`,
      );
    }
    shapes.forEach((s, i) => {
      if (s.length !== 4) {
        throw new Error(
          `${CLS}: input ${i} must be 4-D [batch, height, width, channels]; got [${s.join(', ')}]`,
        );
      }
      if (s[3] == null) throw new Error(`${CLS}: the channel count of input ${i} must be known`);
    });
    return shapes;
  }

  private addBn(prefix: string): BnVars {
    const f = [this.filters];
    return {
      gamma: this.addWeight(`${prefix}_gamma`, f, 'float32', tfl.initializers.ones()),
      beta: this.addWeight(`${prefix}_beta`, f, 'float32', tfl.initializers.zeros()),
      mean: this.addWeight(`${prefix}_moving_mean`, f, 'float32', tfl.initializers.zeros(), undefined, false),
      variance: this.addWeight(
        `${prefix}_moving_variance`,
        f,
        'float32',
        tfl.initializers.ones(),
        undefined,
        false,
      ),
    };
  }

  /** Creates the projection, fusion, refinement and ECA weights. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shapes = this.shapesOf(inputShape);
    this.channels = shapes.map((s) => s[3] as number);
    const F = this.filters;
    let seedOffset = 0;
    this.channels.forEach((c, i) => {
      this.projKernels.push(
        this.addWeight(`proj${i}_kernel`, [1, 1, c, F], 'float32', glorot(this.seed, seedOffset++)),
      );
      this.projBn.push(this.addBn(`proj${i}_bn`));
    });
    if (this.fusion === 'concat') {
      const nF = F * this.channels.length;
      this.fuseKernel = this.addWeight(
        'fuse_kernel',
        [1, 1, nF, F],
        'float32',
        glorot(this.seed, seedOffset++),
      );
      this.fuseBn = this.addBn('fuse_bn');
    }
    this.refineKernel = this.addWeight(
      'refine_kernel',
      [3, 3, F, F],
      'float32',
      glorot(this.seed, seedOffset++),
    );
    this.refineBn = this.addBn('refine_bn');
    if (this.eca) {
      const k = ecaKernelSize(F);
      this.ecaKernel = this.addWeight('eca_kernel', [k, 1, 1], 'float32', glorot(this.seed, seedOffset++));
    }
    this.built = true;
  }

  /** BN then ReLU; with `training`, batch statistics and a moving-average update. */
  private bnRelu(x: tf.Tensor4D, bn: BnVars, training: boolean): tf.Tensor4D {
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (training) {
      const m = tf.moments(x, [0, 1, 2]);
      mean = m.mean;
      variance = m.variance;
      const decay = 1 - this.momentum;
      for (const [v, batch] of [
        [bn.mean, mean],
        [bn.variance, variance],
      ] as const) {
        const old = v.read();
        v.write(tf.sub(old, tf.mul(tf.sub(old, batch), decay)));
      }
    } else {
      mean = bn.mean.read();
      variance = bn.variance.read();
    }
    const y = tf.batchNorm(x, mean, variance, bn.beta.read(), bn.gamma.read(), this.epsilon);
    return tf.relu(y) as tf.Tensor4D;
  }

  /** Fuses a list of `[batch, H_i, W_i, C_i]` maps into `[batch, H, W, filters]`. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => {
      const xs = Array.isArray(inputs) ? inputs : [inputs];
      const channels = this.channels as number[];
      if (xs.length !== channels.length) {
        throw new Error(`${CLS}: expects ${channels.length} input maps (as built); got ${xs.length}`);
      }
      xs.forEach((x, i) => {
        if (x.rank !== 4)
          throw new Error(`${CLS}: input ${i} must be 4-D; got shape [${x.shape.join(', ')}]`);
        if (x.shape[3] !== channels[i]) {
          throw new Error(
            `${CLS}: input ${i} must have ${channels[i]} channels (as built); got ${x.shape[3]}`,
          );
        }
      });
      const training = kwargs.training === true;
      const [, th, tw] = xs[this.targetIndex].shape;
      const projected = xs.map((x, i) => {
        let r = x as tf.Tensor4D;
        if (r.shape[1] !== th || r.shape[2] !== tw) {
          r =
            this.interpolation === 'bilinear'
              ? tf.image.resizeBilinear(r, [th, tw], false, true)
              : tf.image.resizeNearestNeighbor(r, [th, tw], false, true);
        }
        const p = tf.conv2d(r, this.projKernels[i].read() as tf.Tensor4D, 1, 'valid');
        return this.bnRelu(p, this.projBn[i], training);
      });
      let f: tf.Tensor4D;
      if (this.fusion === 'sum') {
        f = projected.length === 1 ? projected[0] : (tf.addN(projected) as tf.Tensor4D);
      } else {
        const cat = tf.concat(projected, 3);
        f = this.bnRelu(
          tf.conv2d(cat, this.fuseKernel!.read() as tf.Tensor4D, 1, 'valid'),
          this.fuseBn!,
          training,
        );
      }
      const refined = this.bnRelu(
        tf.conv2d(f, this.refineKernel!.read() as tf.Tensor4D, 1, 'same'),
        this.refineBn!,
        training,
      );
      const r = tf.add(f, refined) as tf.Tensor4D;
      return this.ecaKernel
        ? tf.mul(r, ecaGate(r, this.ecaKernel.read() as tf.Tensor3D, this.ecaPooling))
        : r;
    });
  }

  /** `[batch, H, W, filters]`, H and W those of input `targetIndex`. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shapes = this.shapesOf(inputShape);
    const t = shapes[this.targetIndex];
    return [t[0], t[1], t[2], this.filters];
  }

  /** Every constructor option, so `fromConfig` rebuilds the same layer. */
  override getConfig(): tf.serialization.ConfigDict {
    const cfg: tf.serialization.ConfigDict = {
      ...super.getConfig(),
      filters: this.filters,
      fusion: this.fusion,
      targetIndex: this.targetIndex,
      interpolation: this.interpolation,
      eca: this.eca,
      ecaPooling: this.ecaPooling,
      momentum: this.momentum,
      epsilon: this.epsilon,
    };
    if (this.seed !== undefined) cfg.seed = this.seed;
    return cfg;
  }
}

tf.serialization.registerClass(FPRM);
