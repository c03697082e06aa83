/* Reading and checking the arguments of the Node-API entry points. */
#include "napi-args.h"

/* The data pointer of a typed array argument (NULL for null/undefined when allowed). */
int typed_ptr(napi_env env, napi_value v, napi_typedarray_type want, void **out, size_t *len, int nullable,
                     const char *what) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (nullable && (t == napi_null || t == napi_undefined)) {
    *out = NULL;
    *len = 0;
    return 1;
  }
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, out, &ab, &off) != napi_ok || type != want) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  return 1;
}

int get_f32(napi_env env, napi_value v, const float **p, size_t *len, int nullable, const char *what) {
  return typed_ptr(env, v, napi_float32_array, (void **)p, len, nullable, what);
}
int fail(napi_env env, int rc) {
  if (rc != 0) napi_throw_error(env, NULL, "medinets native: out of memory");
  return rc;
}
int f32_args(napi_env env, napi_value *args, int count, const float **ptrs, size_t *lens, const char *fn) {
  for (int i = 0; i < count; i++) {
    if (!get_f32(env, args[i], &ptrs[i], &lens[i], 0, fn)) return 0;
  }
  return 1;
}
