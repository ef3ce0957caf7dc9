/* crl: common definitions shared by every public header.
 *
 * crl_real is the scalar type of networks, batches and gradients. It is
 * chosen at build time (meson option `real`): float by default, double with
 * -Dreal=double. Environments keep their own state in double and hand
 * observations out as crl_real. */
#ifndef CRL_COMMON_H
#define CRL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "crl/config.h"

#ifdef __cplusplus
#define CRL_BEGIN_DECLS extern "C" {
#define CRL_END_DECLS }
#else
#define CRL_BEGIN_DECLS
#define CRL_END_DECLS
#endif

#if defined(CRL_BUILDING_LIBRARY) && defined(__GNUC__)
#define CRL_API __attribute__((visibility("default")))
#else
#define CRL_API
#endif

CRL_BEGIN_DECLS

#if CRL_REAL_IS_DOUBLE
typedef double crl_real;
#define CRL_REAL_NAME "double"
#else
typedef float crl_real;
#define CRL_REAL_NAME "float"
#endif

/** The library's version string, "MAJOR.MINOR.PATCH"; compare with
 *  CRL_VERSION_STRING from the header you compiled against. */
CRL_API const char *crl_version(void);

/** Name of the scalar type the library was built with: "float" or "double". */
CRL_API const char *crl_real_name(void);

CRL_END_DECLS

#endif
