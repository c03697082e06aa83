#!/usr/bin/env python3
"""Every keras.applications builder, written by Keras itself, for tools/keras-parity/check.ts.

Needs TensorFlow + Keras (not in Debian): e.g. a venv with tensorflow-cpu 2.21 / keras 3.15.
Usage: python make.py OUT_DIR NAME,NAME,... top|notop   (NAME: a key of APPS below)
Each model is built with weights=None and seeded; BatchNormalization statistics are drawn away
from 0/1; both legacy HDF5 layouts (save_weights and model.save) are written, with Keras' output
for a seeded input."""
import json
import os
import sys

import numpy as np
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
import keras
from keras.src.legacy.saving import legacy_h5_format
import h5py

APPS = {
  'VGG16': (keras.applications.VGG16, 32, {}),
  'VGG19': (keras.applications.VGG19, 32, {}),
  'ResNet50': (keras.applications.ResNet50, 32, {}),
  'ResNet101': (keras.applications.ResNet101, 32, {}),
  'ResNet152': (keras.applications.ResNet152, 32, {}),
  'DenseNet121': (keras.applications.DenseNet121, 32, {}),
  'DenseNet169': (keras.applications.DenseNet169, 32, {}),
  'DenseNet201': (keras.applications.DenseNet201, 32, {}),
  'InceptionV3': (keras.applications.InceptionV3, 75, {}),
  'InceptionResNetV2': (keras.applications.InceptionResNetV2, 75, {}),
  'MobileNetV2': (keras.applications.MobileNetV2, 32, {'alpha': 1.0}),
  'MobileNetV2_a035': (keras.applications.MobileNetV2, 32, {'alpha': 0.35}),
}

def main(out, names, top):
  os.makedirs(out, exist_ok=True)
  for name in names:
    fn, size, kw = APPS[name]
    keras.utils.set_random_seed(0)
    m = fn(weights=None, input_shape=(size, size, 3), include_top=top, classes=5, classifier_activation=None, **kw) if top else \
        fn(weights=None, input_shape=(size, size, 3), include_top=False, pooling='avg', **kw)
    rng = np.random.default_rng(1)
    for layer in m.layers:
      if isinstance(layer, keras.layers.BatchNormalization):
        ws = layer.get_weights()
        new = []
        for w, v in zip(layer.weights, ws):
          n = w.name
          if 'moving_variance' in n: new.append((rng.random(v.shape) + 0.5).astype('f4'))
          elif 'moving_mean' in n: new.append((rng.standard_normal(v.shape) * 0.1).astype('f4'))
          elif 'gamma' in n: new.append((rng.random(v.shape) + 0.5).astype('f4'))
          else: new.append((rng.standard_normal(v.shape) * 0.1).astype('f4'))
        layer.set_weights(new)
    x = rng.random((2, size, size, 3)).astype('f4')
    y = m.predict(x, verbose=0)
    tag = f'{name}_{"top" if top else "notop"}'
    with h5py.File(os.path.join(out, tag + '_weights.h5'), 'w') as f:
      legacy_h5_format.save_weights_to_hdf5_group(f, m)
    legacy_h5_format.save_model_to_hdf5(m, os.path.join(out, tag + '_model.h5'))
    x.tofile(os.path.join(out, tag + '_x.bin'))
    y.astype('f4').tofile(os.path.join(out, tag + '_y.bin'))
    json.dump({'size': size, 'top': top, 'kw': kw, 'yshape': list(y.shape), 'params': int(m.count_params())},
              open(os.path.join(out, tag + '.json'), 'w'))
    print(tag, m.count_params(), y.shape, flush=True)

if __name__ == '__main__':
  main(sys.argv[1], sys.argv[2].split(','), sys.argv[3] == 'top')
