/* Internal: one set of CBLAS names for the build's scalar type.
 *
 * OpenBLAS's <cblas.h> when the build found it (CRL_USE_OPENBLAS), GSL's
 * CBLAS otherwise. Both declare the same cblas_* functions and the same enum
 * constants (CblasRowMajor, CblasNoTrans, CblasTrans), so library code calls
 * CRL_GEMM(...) and never names s/d. Not installed. */
#ifndef CRL_BLAS_H
#define CRL_BLAS_H

#include "crl/common.h"

/* GSL >= 2.7 pulls <gsl/gsl_cblas.h> into gsl_matrix.h and gsl_randist.h,
 * and its enum declarations clash with OpenBLAS's. The prototypes are the
 * same C ABI (OpenBLAS's blasint is int in the LP64 build meson finds), so:
 * if a GSL header came first, use GSL's declarations (the symbols still
 * resolve to OpenBLAS at link time); otherwise include OpenBLAS's and set
 * GSL's include guard so that GSL headers included later reuse its enums
 * instead of redeclaring them. */
#if defined(CRL_USE_OPENBLAS) && !defined(__GSL_CBLAS_H__)
#include <cblas.h>
#define __GSL_CBLAS_H__
#else
#include <gsl/gsl_cblas.h>
#endif

#if CRL_REAL_IS_DOUBLE
#define CRL_GEMM cblas_dgemm
#define CRL_GEMV cblas_dgemv
#define CRL_GER cblas_dger
#define CRL_AXPY cblas_daxpy
#define CRL_DOT cblas_ddot
#define CRL_SCAL cblas_dscal
#define CRL_COPY cblas_dcopy
#define CRL_NRM2 cblas_dnrm2
#else
#define CRL_GEMM cblas_sgemm
#define CRL_GEMV cblas_sgemv
#define CRL_GER cblas_sger
#define CRL_AXPY cblas_saxpy
#define CRL_DOT cblas_sdot
#define CRL_SCAL cblas_sscal
#define CRL_COPY cblas_scopy
#define CRL_NRM2 cblas_snrm2
#endif

#endif
