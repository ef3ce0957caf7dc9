/* crl export CKPT|POLICY.crlp -o FILE [--format crlp|c|onnx]: the policy
 * alone (network, normaliser, action scaling), for inference in another
 * program: a .crlp policy file for crl_policy_load, dependency-free C99 (a
 * .c file and its header), or an ONNX model. Every format is written to
 * temporaries and renamed, so a failure leaves nothing half-written. */
#include <string.h>

#include "cli/commands.h"
#include "run/policy_src.h"

static int usage(const char *what, const char *arg) {
  fprintf(stderr, "crl export: %s%s\n(run `crl help export` for usage)\n", what,
          arg);
  return CLI_EXIT_USAGE;
}

typedef enum export_format { FORMAT_CRLP, FORMAT_C, FORMAT_ONNX } export_format;

static const struct {
  const char *name;
  export_format format;
  const char *suffix; /* the output's name must end so ("": any) */
} formats[] = {
    {"crlp", FORMAT_CRLP, ""},
    {"c", FORMAT_C, ".c"},
    {"onnx", FORMAT_ONNX, ""},
};

typedef struct export_args {
  const char *source, *out;
  int format; /* index into formats */
} export_args;

static int parse_format(const char *name) {
  for (int i = 0; i < (int)(sizeof formats / sizeof formats[0]); i++)
    if (strcmp(name, formats[i].name) == 0)
      return i;
  return -1;
}

static int ends_with(const char *s, const char *suffix) {
  const size_t n = strlen(s), k = strlen(suffix);
  return n > k && strcmp(s + n - k, suffix) == 0;
}

/* 0, or the usage error's exit status (message printed). */
static int parse_args(int argc, char **argv, export_args *a) {
  *a = (export_args){0};
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
      if (++i == argc || argv[i][0] == '\0')
        return usage("-o needs a file name", "");
      a->out = argv[i];
    } else if (strcmp(argv[i], "--format") == 0) {
      if (++i == argc || (a->format = parse_format(argv[i])) < 0)
        return usage("--format takes crlp, c or onnx, not ",
                     i == argc ? "nothing" : argv[i]);
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return usage("unknown option ", argv[i]);
    } else if (a->source == NULL) {
      a->source = argv[i];
    } else {
      return usage("unexpected argument ", argv[i]);
    }
  }
  if (a->source == NULL || a->out == NULL)
    return usage("usage: crl export CKPT|POLICY.crlp -o FILE "
                 "[--format crlp|c|onnx]",
                 "");
  const char *suffix = formats[a->format].suffix;
  if (suffix[0] != '\0' && !ends_with(a->out, suffix)) {
    fprintf(stderr,
            "crl export: --format %s writes a file whose name ends in %s "
            "(have %s)\n",
            formats[a->format].name, suffix, a->out);
    return CLI_EXIT_USAGE;
  }
  return 0;
}

static int write_policy(const crl_policy *p, const export_args *a) {
  switch (formats[a->format].format) {
  case FORMAT_C:
    return crl_policy_write_c(p, a->out);
  case FORMAT_ONNX:
    return crl_policy_write_onnx(p, a->out);
  default:
    return crl_policy_save(p, a->out);
  }
}

int cli_cmd_export(int argc, char **argv) {
  export_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc)
    return rc;
  cli_policy_source s;
  char err[CLI_ERR_SIZE];
  if (cli_policy_source_open(a.source, &s, err, sizeof err)) {
    fprintf(stderr, "crl export: %s\n", err);
    return CLI_EXIT_USAGE;
  }
  crl_policy *owned = NULL; /* the checkpoint's policy */
  rc = s.from_checkpoint ? crl_algo_export_policy(s.algo, 1, &owned) : 0;
  const crl_policy *p = s.from_checkpoint ? owned : s.policy;
  rc = rc ? rc : write_policy(p, &a);
  if (rc)
    fprintf(stderr, "crl export: %s\n", crl_last_error());
  else if (formats[a.format].format == FORMAT_C)
    printf("wrote %s and %.*sh (the policy of %s as C)\n", a.out,
           (int)strlen(a.out) - 1, a.out, s.path);
  else if (formats[a.format].format == FORMAT_ONNX)
    printf("wrote %s (the policy of %s as an ONNX model)\n", a.out, s.path);
  else
    printf("wrote %s (the policy of %s)\n", a.out, s.path);
  crl_policy_free(owned);
  cli_policy_source_close(&s);
  return rc == CRL_EUNSUPPORTED ? CLI_EXIT_USAGE
         : rc                   ? CLI_EXIT_FAILURE
                                : CLI_EXIT_OK;
}
