/* Internal: the state of the book's actor-critics (qac.c builds it,
 * qac_step.c runs the per-step updates). See qac.c for the algorithms. */
#ifndef CRL_ALGOS_QAC_H
#define CRL_ALGOS_QAC_H

#include "crl/algo.h"
#include "crl/optim.h"
#include "rl/pg_policy.h"

enum { MODE_QAC = 0, MODE_A2C = 1, MODE_OFF = 2 };
enum { OPT_SGD = 0, OPT_ADAM = 1 };
enum { BEH_UNIFORM = 0, BEH_MIXTURE = 1 };

typedef struct qac_spec {
  int mode;
  crl_schedule learning_rate;
  double critic_learning_rate;
  double gamma;
  int optimizer;
  int n_steps;
  int behavior;
  double behavior_epsilon;
  double adam_eps;
  double prob_floor;
  int linear;
  crl_real_list theta_init;
  crl_int_list net_arch;
  int activation;
  double log_std_init;
  int ortho_init;
} qac_spec;

/* The q critic: q(s, a) from K outputs of obs (discrete) or one output of
 * [obs, action] (continuous). */
typedef struct qnet {
  int linear, discrete, in, out, D, A;
  crl_mlp *mlp;     /* or NULL when linear */
  size_t n;         /* parameters */
  crl_real *params; /* [n] the MLP's, or the linear map's [out, in] below */
  crl_real *grads;  /* [n] */
  void *block;      /* the buffers below, one allocation */
  crl_real *x;      /* [N, in] network input */
  crl_real *y;      /* [N, out] */
  crl_real *dy;     /* [N, out] */
  crl_real *w;      /* [out, in] linear weights (0 values for the MLP) */
  crl_real *dw;     /* [out, in] their gradient */
} qnet;

typedef struct qac {
  qac_spec spec;
  crl__pgp *pol;
  qnet q;
  crl_adam *pi_adam, *c_adam;
  gsl_rng *act_rng;
  int N, D, A, K;
  void *block;      /* the buffers below, one allocation */
  double *box_low;  /* [A] continuous action bounds (copies) */
  double *box_high; /* [A] */
  /* per-step scratch, [N] rows */
  crl_real *obs;     /* [N, D] s_t */
  crl_real *next;    /* [N, D] the state to bootstrap from */
  crl_real *dist;    /* [N, n_out] */
  crl_real *act;     /* [N, A] a_t */
  crl_real *act2;    /* [N, A] a' (qac) */
  crl_real *env_act; /* [N, A] */
  crl_real *logp;    /* [N] */
  crl_real *coef;    /* [N] */
  crl_real *val;     /* [N] */
  crl_real *val2;    /* [N] */
  crl_real *rho;     /* [N] */
  crl_real *probs;   /* [N, n_out] pi(.|s) (discrete) */
  double *live;      /* [N] gamma when the future counts, else 0 */
} qac;

extern const crl_param_def crl__qac_params[];

int crl__qac_create(const void *spec, const crl_space *obs,
                    const crl_space *act, int n_envs, uint64_t seed,
                    void **self);
void crl__qac_destroy(void *self);
int crl__qac_save(void *self, crl_ckpt_writer *w);
int crl__qac_load(void *self, const crl_ckpt_reader *r);
int crl__qac_export(void *self, int max_batch, crl_policy **out);

/* qv [N] = q(obs_i, act_i); backward for L = sum_i dq[i] q(s_i, a_i)
 * through the last forward, ADDing to the q gradients. */
int crl__qnet_forward(qnet *q, const crl_real *obs, const crl_real *act, int N,
                      crl_real *qv);
int crl__qnet_backward(qnet *q, const crl_real *act, const crl_real *dq, int N);

#endif
