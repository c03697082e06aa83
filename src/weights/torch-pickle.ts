/**
 * Unpickling `torch.save` output with `pickleparser` without executing anything: the only
 * globals a file may name are torch's tensor-rebuild functions, its storage classes and
 * `collections.OrderedDict`, each answered here by a plain data constructor. Any other
 * global (`os.system`, `builtins.eval`, `argparse.Namespace`, ...) is refused with a
 * {@link WeightsError}, as `torch.load(weights_only=True)` refuses it.
 */
import { BufferReader, Parser } from 'pickleparser';
import { WeightsError } from './errors';
import type { ElementType } from './raw';

/** A storage that a persistent id names: where its bytes are and how to read them. */
export interface TorchStorage {
  readonly kind: 'storage';
  /** Storage key: the zip entry `data/<key>` or the legacy file's key. */
  key: string;
  type: ElementType;
  /** Element count, when the persistent id gives it. */
  numel: number | undefined;
}

/** A tensor as `_rebuild_tensor_v2` describes it, before its bytes are read. */
export interface TorchTensorRef {
  readonly kind: 'tensor';
  storage: TorchStorage;
  offset: number;
  shape: number[];
  stride: number[];
}

// torch's storage class names (`torch.FloatStorage` ...) to element types.
const STORAGE_TYPES: Record<string, ElementType> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

interface StorageClass {
  readonly kind: 'storage-class';
  type: ElementType;
}

type Unpickled = unknown;

function isInts(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => Number.isInteger(d) && d >= 0);
}

/** Options of {@link unpickleTorch}. */
interface UnpickleOptions {
  fn: string;
  file: string;
  /** Collects every storage the pickle names, by key (the legacy format needs their types). */
  storages?: Map<string, TorchStorage>;
}

function makeParser(opts: UnpickleOptions): Parser {
  const { fn, file } = opts;
  function fail(msg: string): never {
    throw new WeightsError(fn, file, msg);
  }
  const rebuildTensor = (...args: unknown[]): TorchTensorRef => {
    const [storage, offset, shape, stride] = args as [TorchStorage, unknown, unknown, unknown];
    if (storage?.kind !== 'storage' || !Number.isInteger(offset) || !isInts(shape) || !isInts(stride)) {
      fail('a tensor record is malformed (expected storage, offset, size, stride)');
    }
    if (shape.length !== stride.length) fail('a tensor record has size and stride of different lengths');
    return { kind: 'tensor', storage, offset: offset as number, shape, stride };
  };
  // The functions torch.save's pickles call, each returning plain data. A fresh set per
  // parse: pickle BUILD may assign properties onto any object on the stack.
  const functions = new Map<string, (...args: unknown[]) => unknown>([
    ['torch._utils._rebuild_tensor_v2', rebuildTensor],
    ['torch._utils._rebuild_tensor', rebuildTensor],
    ['torch._utils._rebuild_parameter', (data: unknown) => data],
    ['collections.OrderedDict', () => new Map()],
  ]);
  return new Parser({
    unpicklingTypeOfDictionary: 'Map',
    unpicklingTypeOfSet: 'array',
    nameResolver: {
      resolve(module: string, name: string) {
        const f = functions.get(`${module}.${name}`);
        if (f !== undefined) return f;
        // Storage classes are values inside a persistent id, never called.
        const type =
          module === 'torch' && Object.hasOwn(STORAGE_TYPES, name) ? STORAGE_TYPES[name] : undefined;
        if (type !== undefined) return { kind: 'storage-class', type } as StorageClass as never;
        return fail(
          `the pickle asks for the Python global '${module}.${name}'; only torch tensors, ` +
            'storages, OrderedDicts and plain containers are read (nothing is executed)',
        );
      },
    },
    persistentResolver: {
      resolve(pid: unknown) {
        if (!Array.isArray(pid) || pid[0] !== 'storage')
          return fail('an unknown persistent id in the pickle');
        const [, cls, key, , numel] = pid as [string, StorageClass, unknown, unknown, unknown];
        if (cls?.kind !== 'storage-class') return fail('a storage record without a known storage class');
        if (typeof key !== 'string' && typeof key !== 'number') return fail('a storage record without a key');
        const storage: TorchStorage = {
          kind: 'storage',
          key: String(key),
          type: cls.type,
          numel: Number.isInteger(numel) ? (numel as number) : undefined,
        };
        opts.storages?.set(storage.key, storage);
        return storage;
      },
    },
    extensionResolver: {
      resolve: () => fail('the pickle uses copyreg extension codes, which torch.save never writes'),
    },
  });
}

/**
 * Unpickles one pickle of `bytes` starting at `start`; returns the value and where it ended.
 * Errors of the pickle library (truncated or corrupt data) become {@link WeightsError}s.
 */
export function unpickleTorch(
  bytes: Uint8Array,
  start: number,
  opts: UnpickleOptions,
): { value: Unpickled; end: number } {
  const reader = new BufferReader(bytes.subarray(start));
  try {
    const value = makeParser(opts).read(reader);
    return { value, end: start + reader.position };
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError(
      opts.fn,
      opts.file,
      `not a readable torch.save pickle (${(e as Error).message ?? String(e)})`,
    );
  }
}
