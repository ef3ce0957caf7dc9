/* The crl program's MPI ranks. Under `mpirun -n K crl ...` every process
 * is one rank of K; started any other way it is rank 0 of 1 and MPI is
 * never initialised (a program built without MPI is always rank 0 of 1,
 * and refuses to start under mpirun with K > 1 rather than run K copies
 * of the same work into the same directory). Collectives are only what
 * the program needs between ranks, all on MPI_COMM_WORLD. */
#ifndef TOOLS_RANKS_H
#define TOOLS_RANKS_H

#include <stddef.h>

/* Initialise MPI when launched by mpirun (Open MPI's OMPI_COMM_WORLD_SIZE,
 * or PMI_SIZE / PMIX_RANK of other launchers). 0, or -1 with a message
 * in why (launched by mpirun, but MPI cannot start or is not built in). */
int cli_ranks_init(int *argc, char ***argv, char *why, size_t size);

/* Finalise MPI if cli_ranks_init started it. */
void cli_ranks_finalize(void);

/* This process's rank and the number of ranks (0 and 1 without MPI). */
int cli_ranks_rank(void);
int cli_ranks_size(void);

/* Copy bytes bytes at buf from rank root to every rank. 0 or -1. */
int cli_ranks_bcast(void *buf, size_t bytes, int root);

/* The largest v over the ranks, on every rank; -1 if MPI fails. A long
 * wait sleeps (a rank that finished its runs early must not take a core
 * from the ranks still running), a short one does not. */
int cli_ranks_max(int v, int *out);

/* The same for n values at once: out[i] = the largest v[i]. */
int cli_ranks_max_n(const int *v, int *out, int n);

/* v[0..n) becomes the sum of every rank's v, the same bits on every rank
 * and in every run: MPI_Allreduce may add in any order (it depends on the
 * algorithm Open MPI picks for the size and the number of ranks), so this
 * is a reduce-scatter and an all-gather written out. Rank j owns the j-th
 * of K nearly equal blocks, receives that block from every rank and adds
 * them in rank order (((v_0 + v_1) + v_2) + ...), then every rank gathers
 * the summed blocks. Sends 2 (K-1)/K of the vector per rank, as a ring
 * all-reduce does. work holds K * ceil(n / K) doubles. 0, or -1 if MPI
 * fails. */
int cli_ranks_sum(double *v, size_t n, double *work);

/* The ranks as a libcrl group (crl/group.h) for data-parallel runs: sum is
 * cli_ranks_sum, gather an in-place MPI_Allgather of equal blocks. NULL
 * without MPI or on one rank. */
const struct crl_group *cli_ranks_group(void);

/* Take every rank down (a rank that cannot go on while the others wait
 * in a collective): MPI_Abort, or exit(code) without MPI. */
_Noreturn void cli_ranks_abort(int code);

#endif
