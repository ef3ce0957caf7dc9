/* Helpers of the data-parallel tests (test_data_parallel*.c): K threads
 * of one process play the K processes of a crl_group whose sum adds in
 * rank order and whose gather copies the blocks, as the crl program's MPI
 * group does; algorithms built from key-value settings; probe actions on
 * fixed observations and their largest difference. */
#ifndef TESTS_THREAD_GROUP_H
#define TESTS_THREAD_GROUP_H

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crl/crl.h"

#define MAX_THREADS 4
#define ITERATIONS 3
#define PROBES 16

/* ---- a group of threads -------------------------------------------------- */

typedef struct shared {
  int size;
  pthread_barrier_t barrier;
  void *bufs[MAX_THREADS];
} shared;

typedef struct member {
  shared *s;
  int rank;
  crl_group group;
} member;

static inline int thread_sum(void *ctx, double *v, size_t n) {
  member *m = ctx;
  shared *s = m->s;
  double *out = malloc((n ? n : 1) * sizeof *out);
  if (out == NULL)
    return -1;
  s->bufs[m->rank] = v;
  pthread_barrier_wait(&s->barrier);
  for (size_t i = 0; i < n; i++) {
    double x = ((double *)s->bufs[0])[i];
    for (int r = 1; r < s->size; r++)
      x += ((double *)s->bufs[r])[i];
    out[i] = x;
  }
  pthread_barrier_wait(&s->barrier); /* everyone has read every v */
  memcpy(v, out, n * sizeof *v);
  free(out);
  return 0;
}

static inline int thread_gather(void *ctx, void *buf, size_t block) {
  member *m = ctx;
  shared *s = m->s;
  s->bufs[m->rank] = buf;
  pthread_barrier_wait(&s->barrier);
  for (int r = 0; r < s->size; r++)
    if (r != m->rank)
      memcpy((char *)buf + (size_t)r * block,
             (const char *)s->bufs[r] + (size_t)r * block, block);
  pthread_barrier_wait(&s->barrier);
  return 0;
}

static inline void member_init(member *m, shared *s, int rank) {
  m->s = s;
  m->rank = rank;
  m->group = (crl_group){rank, s->size, m, thread_sum, thread_gather};
}

typedef struct ppo_trace {
  crl_algo_stats stats[ITERATIONS];
  crl_real actions[PROBES];
} ppo_trace;

/* Algorithm `name` with the settings kv (key, value, ..., NULL) for the
 * spaces of v, n_envs copies, seed. */
static inline crl_algo *make_algo(const char *name, const char *const *kv,
                                  crl_vec_env *v, int n_envs, uint64_t seed) {
  const crl_algo_type *t = crl_algo_find(name);
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  for (int i = 0; kv[i] != NULL; i += 2)
    assert_int_equal(crl_algo_spec_set(t, spec, kv[i], kv[i + 1]), 0);
  crl_algo *algo = NULL;
  assert_int_equal(crl_algo_alloc(t, spec, crl_vec_env_obs_space(v),
                                  crl_vec_env_act_space(v), n_envs, seed,
                                  &algo),
                   0);
  crl_algo_spec_free(spec);
  return algo;
}

/* Deterministic actions on fixed observations. */
static inline void probe(crl_algo *algo, crl_real *out) {
  crl_real obs[PROBES * 3];
  for (int i = 0; i < PROBES * 3; i++)
    obs[i] = (crl_real)(cos(0.7 * i) * (i % 3 == 2 ? 4.0 : 1.0));
  assert_int_equal(crl_algo_act(algo, obs, PROBES, 1, out), 0);
}

/* The largest |a - b| over the probe actions. */
static inline double max_diff(const ppo_trace *a, const ppo_trace *b) {
  double d = 0.0;
  for (int i = 0; i < PROBES; i++)
    d = fmax(d, fabs((double)a->actions[i] - (double)b->actions[i]));
  return d;
}

#endif
