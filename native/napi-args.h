#ifndef MEDINETS_NAPI_ARGS_H
#define MEDINETS_NAPI_ARGS_H

/* Reading and checking the arguments of the Node-API entry points (napi-args.c). */
#include <node_api.h>
#include <stddef.h>

#define CHECK(call)                                                           \
  do {                                                                        \
    if ((call) != napi_ok) {                                                  \
      napi_throw_error(env, NULL, "medinets native: Node-API call failed");   \
      return NULL;                                                            \
    }                                                                         \
  } while (0)

int typed_ptr(napi_env env, napi_value v, napi_typedarray_type want, void **out, size_t *len, int nullable,
              const char *what);
int get_f32(napi_env env, napi_value v, const float **p, size_t *len, int nullable, const char *what);
/* Float32Array arguments args[0..count) into ptrs, with their lengths. */
int f32_args(napi_env env, napi_value *args, int count, const float **ptrs, size_t *lens, const char *fn);
/* Throws "out of memory" when a kernel returned non-zero; returns rc. */
int fail(napi_env env, int rc);

/* The convolution and matrix-product entry points (bindings-conv.c). */
napi_value js_conv2d(napi_env env, napi_callback_info info);
napi_value js_conv2d_dx(napi_env env, napi_callback_info info);
napi_value js_conv2d_dw(napi_env env, napi_callback_info info);
napi_value js_matmul(napi_env env, napi_callback_info info);

#endif
