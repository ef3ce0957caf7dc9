#!/usr/bin/env bash
# Install the build into a temporary prefix and build a program outside the
# source tree against it, using only `pkg-config --cflags --libs crl`.
# Usage: install_test.sh BUILD_DIR
set -euo pipefail
build=$1
SRC_ROOT=${CRL_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --no-rebuild --destdir "$tmp/root" >"$tmp/install.log" 2>&1 || {
  cat "$tmp/install.log"; echo "FAIL: meson install"; exit 1; }
pc=$(find "$tmp/root" -name crl.pc | head -n1)
[ -n "$pc" ] || { echo "FAIL: crl.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
# The sysroot prefixes every -I and -L path with where we installed to.
export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
cflags=$(pkg-config --cflags crl)
libs=$(pkg-config --libs crl)
# pkgconf prefixes variables with the sysroot too.
libdir=$(pkg-config --variable=libdir crl)

# A vtable env of the user's own whose reset draws from the gsl_rng crl
# hands it: GSL's functions must come with `pkg-config --libs crl` alone
# (GSL is a public requirement), or linking fails with "DSO missing".
cat >"$tmp/user.c" <<'C'
#include <crl/crl.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <string.h>

typedef struct walk {
  double x;
} walk;

static const double lo[1] = {-10}, hi[1] = {10}, alo[1] = {-1}, ahi[1] = {1};

static int walk_init(void *self, crl_space *obs, crl_space *act) {
  (void)self;
  *obs = (crl_space){CRL_SPACE_BOX, 1, 0, lo, hi};
  *act = (crl_space){CRL_SPACE_BOX, 1, 0, alo, ahi};
  return 0;
}

static int walk_reset(void *self, gsl_rng *rng) {
  ((walk *)self)->x = gsl_rng_uniform(rng) - 0.5;
  return 0;
}

static int walk_step(void *self, const crl_real *a, double *r, int *term) {
  walk *w = self;
  w->x += 0.1 * a[0];
  *r = -w->x * w->x;
  *term = 0;
  return 0;
}

static void walk_observe(const void *self, crl_real *obs) {
  obs[0] = (crl_real)((const walk *)self)->x;
}

static const crl_env_type walk_type = {
    .name = "Walk-v0", .doc = "a random walk", .self_size = sizeof(walk),
    .max_episode_steps = 20, .init = walk_init, .reset = walk_reset,
    .step = walk_step, .observe = walk_observe};

int main(void) {
  if (strcmp(crl_version(), CRL_VERSION_STRING) != 0) {
    printf("header %s but library %s\n", CRL_VERSION_STRING, crl_version());
    return 1;
  }
  crl_env *env = NULL;
  if (crl_env_register(&walk_type) != 0 || crl_env_make("Walk-v0", &env)) {
    printf("%s\n", crl_last_error());
    return 1;
  }
  crl_real obs[1], a[1] = {0.5f};
  double r;
  int term, trunc = 0;
  crl_env_seed(env, 1);
  crl_env_reset(env, obs);
  int started_inside = obs[0] > -0.5f && obs[0] < 0.5f;
  for (int t = 0; t < 20; t++)
    crl_env_step(env, a, obs, &r, &term, &trunc);
  crl_env_free(env);
  /* And a built-in env, the library's own code. */
  if (crl_env_make("Pendulum-v1", &env) != 0)
    return 1;
  crl_real pobs[3];
  crl_env_seed(env, 1);
  crl_env_reset(env, pobs);
  crl_env_free(env);
  printf("ok %d %d\n", started_inside, trunc);
  return started_inside && trunc == 1 ? 0 : 1;
}
C
cc -std=c11 -Wall -Wextra -Werror -o "$tmp/user" "$tmp/user.c" $cflags $libs
out=$(LD_LIBRARY_PATH="$libdir" "$tmp/user")
[ "$out" = "ok 1 1" ] || { echo "FAIL: program printed '$out'"; exit 1; }
# GSL comes with -lcrl; the BLAS does not. Linked without --as-needed (as
# clang links), the program must not need GSL's reference CBLAS when the
# library uses OpenBLAS: libcrl's cblas_* calls would bind to it.
case " $libs " in
  *" -lgsl "*) ;;
  *) echo "FAIL: pkg-config --libs crl has no -lgsl: $libs"; exit 1 ;;
esac
cc -std=c11 -o "$tmp/user_noasneeded" "$tmp/user.c" $cflags -Wl,--no-as-needed $libs
needed=$(readelf -d "$tmp/user_noasneeded" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
if grep -Eq '^#define CRL_USE_OPENBLAS( 1)?$' "$(pkg-config --variable=includedir crl)/crl/config.h" &&
   printf '%s\n' "$needed" | grep -q gslcblas; then
  echo "FAIL: with OpenBLAS, a program linked by pkg-config needs libgslcblas: $needed"; exit 1
fi
# Only crl_* symbols are exported.
stray=$(nm -D --defined-only "$libdir"/libcrl.so | awk '{print $3}' | grep -v '^crl_' | grep -v '^_' || true)
[ -z "$stray" ] || { echo "FAIL: exported non-crl symbols: $stray"; exit 1; }
# A plugin built outside the tree with `pkg-config --cflags crl` alone (as
# docs/embedding.md says), loaded by the installed crl program.
crl_bin=$(find "$tmp/root" -path '*/bin/crl' | head -n1)
if [ -n "$crl_bin" ]; then
  cp "$SRC_ROOT/examples/plugin_point_mass.c" "$tmp/myenv.c"
  cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -O2 $cflags "$tmp/myenv.c" -o "$tmp/libmyenv.so" -lm
  out=$("$crl_bin" check-env PointMass2D-v0 --plugin "$tmp/libmyenv.so" --steps 2000)
  case $out in
    "PointMass2D-v0: ok"*) ;;
    *) echo "FAIL: the installed crl with a pkg-config plugin printed '$out'"; exit 1 ;;
  esac
  echo "2 passed, 0 failed"
else
  echo "1 passed, 0 failed"
fi
