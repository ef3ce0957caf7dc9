/* crl: checkpoint state as tables of named sections.
 *
 * A checkpoint file is a set of named, typed sections ("td3.actor",
 * "td3.actor_adam.m", "venv.env0.rng.state"). An object declares its state
 * once, as a table of items (name, kind, where it lives, how many values,
 * what a loaded value must satisfy), in one function of type
 * crl_state_sections:
 *
 *   static int my_sections(void *self, crl_state_io *io) {
 *     my_algo *m = self;
 *     const crl_state_item items[] = {
 *         CRL_STATE(REAL, "params", m->params, m->n_params, 0),
 *         CRL_STATE(LONG, "steps", &m->steps, 1, CRL_STATE_NONNEG),
 *         CRL_STATE_OBJ("adam", crl_adam_sections, m->adam),
 *         CRL_STATE_OBJ("rng", crl_rng_sections, m->rng),
 *     };
 *     return crl_state_items(io, items, CRL_STATE_COUNT(items));
 *   }
 *
 * crl_state_save walks the table writing every item, crl_state_load walks
 * the same table reading them back, so the two cannot drift apart. Nested
 * objects (an optimiser, a generator) have sections functions of their
 * own, and their sections are named "<item>.<theirs>".
 *
 * Loading checks each section before anything is stored: it must exist,
 * have the kind and the number of values the table says, and every value
 * must pass the item's checks (crl_real values are always finite; flags
 * below). A refused file fails with CRL_EFORMAT and a message naming the
 * section. When a load fails part-way the object stays memory-safe, but
 * its state is unspecified: free it, or load again.
 *
 * crl_algo_type's save and load (crl/algo.h) receive the writer and the
 * reader: an algorithm registered by a user checkpoints with
 *   save: return crl_state_save(w, "my_algo", my_sections, self);
 *   load: return crl_state_load(r, "my_algo", my_sections, self);
 */
#ifndef CRL_STATE_H
#define CRL_STATE_H

#include "crl/common.h"

CRL_BEGIN_DECLS

/* An open checkpoint being written / read (the container is internal:
 * little-endian, checksummed, written atomically). */
typedef struct crl_ckpt_writer crl_ckpt_writer;
typedef struct crl_ckpt_reader crl_ckpt_reader;

/* One save or load in progress, handed to sections functions. */
typedef struct crl_state_io crl_state_io;

/* An object's state: builds the object's table and walks it with
 * crl_state_items (0 or a negative CRL_E* code). */
typedef int (*crl_state_sections)(void *obj, crl_state_io *io);

/* What an item holds. Integers of every width are stored as 64 bits and
 * range-checked into their type on load. */
typedef enum crl_state_kind {
  CRL_STATE_REAL = 1, /* crl_real [count]; stored in the writer's precision
                         and converted on read; always finite */
  CRL_STATE_F64,      /* double [count] */
  CRL_STATE_I64,      /* int64_t [count] */
  CRL_STATE_LONG,     /* long [count] */
  CRL_STATE_INT,      /* int [count] */
  CRL_STATE_BYTES,    /* unsigned char [count], opaque */
  CRL_STATE_STRING,   /* char [count]: a NUL-terminated string in a buffer of
                         count bytes (with CRL_STATE_MATCH count is unused) */
  CRL_STATE_OBJECT,   /* ptr is an object, sections is its state */
  CRL_STATE_OBJECTS   /* ptr is an array of count object pointers, named
                         "<name>0", "<name>1", ... (NULL ones skipped) */
} crl_state_kind;

/* Checks of loaded values (numbers: every value of the section). */
enum {
  CRL_STATE_FINITE = 1 << 0,   /* finite (REAL always is) */
  CRL_STATE_NOT_NAN = 1 << 1,  /* not NaN (infinities allowed) */
  CRL_STATE_NONNEG = 1 << 2,   /* >= 0 */
  CRL_STATE_POSITIVE = 1 << 3, /* > 0 */
  CRL_STATE_BOOL = 1 << 4,     /* 0 or 1 */
  CRL_STATE_RANGE = 1 << 5,    /* in [lo, hi] */
  /* An identity, not state: saved as any item, but on load the stored
   * value must equal the current one (an env's name, a number of copies),
   * and nothing is written. */
  CRL_STATE_MATCH = 1 << 6
};

typedef struct crl_state_item {
  const char *name; /* section name under the object's prefix */
  crl_state_kind kind;
  void *ptr;      /* the values; NULL: the item is skipped (an optional part,
                     e.g. no normaliser) when saving and loading alike */
  size_t count;   /* values (STRING: buffer bytes; OBJECTS: objects) */
  unsigned flags; /* CRL_STATE_FINITE ... */
  double lo, hi;  /* CRL_STATE_RANGE */
  /* Non-NULL: the section holds *rows rows of count values each. *rows is
   * read when the walk reaches this item, so an earlier item of the same
   * table may load it (a replay buffer's filled rows). */
  const long *rows;
  crl_state_sections sections; /* OBJECT, OBJECTS */
  /* Optional check of a loaded section: called with its values (a copy,
   * in the item's type) before they are stored; nonzero (a CRL_E* code,
   * with crl_fail's message) refuses them. */
  int (*check)(const void *values, size_t count);
} crl_state_item;

/* Table rows, one line each:
 *   CRL_STATE(KIND, name, ptr, count, flags)         count values
 *   CRL_STATE_RANGED(KIND, name, ptr, count, lo, hi)  values in [lo, hi]
 *   CRL_STATE_ROWS(KIND, name, ptr, width, &rows, flags)  rows x width
 *   CRL_STATE_OBJ(name, sections, obj)               a nested object
 *   CRL_STATE_OBJS(name, sections, objs, n)          n of them
 * (a check function by a designated initialiser). */
// clang-format off
#define CRL_STATE(KIND, NAME, PTR, COUNT, FLAGS)                               \
  {.name = (NAME), .kind = CRL_STATE_##KIND, .ptr = (void *)(PTR),             \
   .count = (COUNT), .flags = (FLAGS)}
#define CRL_STATE_RANGED(KIND, NAME, PTR, COUNT, LO, HI)                       \
  {.name = (NAME), .kind = CRL_STATE_##KIND, .ptr = (void *)(PTR),             \
   .count = (COUNT), .flags = CRL_STATE_RANGE, .lo = (double)(LO),             \
   .hi = (double)(HI)}
#define CRL_STATE_ROWS(KIND, NAME, PTR, WIDTH, ROWS, FLAGS)                    \
  {.name = (NAME), .kind = CRL_STATE_##KIND, .ptr = (void *)(PTR),             \
   .count = (WIDTH), .flags = (FLAGS), .rows = (ROWS)}
#define CRL_STATE_OBJ(NAME, SECTIONS, OBJ)                                     \
  {.name = (NAME), .kind = CRL_STATE_OBJECT, .ptr = (void *)(OBJ),             \
   .count = 1, .sections = (SECTIONS)}
#define CRL_STATE_OBJS(NAME, SECTIONS, OBJS, N)                                \
  {.name = (NAME), .kind = CRL_STATE_OBJECTS, .ptr = (void *)(OBJS),           \
   .count = (N), .sections = (SECTIONS)}
// clang-format on
#define CRL_STATE_COUNT(items) ((int)(sizeof(items) / sizeof((items)[0])))

/* ---- inside a sections function ----------------------------------------- */

/** Save or load (whichever io is doing) the n items of a table, in order,
 *  under io's current prefix. */
CRL_API int crl_state_items(crl_state_io *io, const crl_state_item *items,
                            int n);

/** 1 when io is loading, 0 when it is saving: for the few steps around the
 *  table that go one way (copy an env's state out before saving, hand it
 *  back after loading). */
CRL_API int crl_state_loading(const crl_state_io *io);

/* ---- saving and loading objects and tables ------------------------------ */

/** Write obj's sections, named "<prefix>.<item>" (prefix "" or NULL: no
 *  prefix). Fails with CRL_ENONFINITE (nothing usable written) when a
 *  crl_real value is not finite: a diverged run must not replace a good
 *  checkpoint. */
CRL_API int crl_state_save(crl_ckpt_writer *w, const char *prefix,
                           crl_state_sections sections, void *obj);

/** Read obj's sections back (see the checks above). */
CRL_API int crl_state_load(const crl_ckpt_reader *r, const char *prefix,
                           crl_state_sections sections, void *obj);

/** The same for a table that belongs to no object (a program's own
 *  counters next to an algorithm's state). */
CRL_API int crl_state_save_items(crl_ckpt_writer *w, const char *prefix,
                                 const crl_state_item *items, int n);
CRL_API int crl_state_load_items(const crl_ckpt_reader *r, const char *prefix,
                                 const crl_state_item *items, int n);

/** Whether section `name` (full name) exists, and how many values it holds
 *  (bytes for a string): 0, or CRL_ENOTFOUND. For sizing a buffer before
 *  loading a string of unknown length. */
CRL_API int crl_state_find(const crl_ckpt_reader *r, const char *name,
                           size_t *count);

/* ---- checkpoint files --------------------------------------------------- */

/** An empty checkpoint in memory (free with crl_ckpt_writer_free). */
CRL_API int crl_ckpt_writer_alloc(crl_ckpt_writer **out);
CRL_API void crl_ckpt_writer_free(crl_ckpt_writer *w);

/** Write the checkpoint to path atomically (path.tmp, fsync, rename: a
 *  crash leaves the old file or the new one). CRL_EIO on failure. */
CRL_API int crl_ckpt_writer_write(crl_ckpt_writer *w, const char *path);

/** Open and verify a checkpoint file (free with crl_ckpt_reader_free):
 *  CRL_EIO when it cannot be read, CRL_EFORMAT when it is damaged,
 *  truncated, not a crl file or of another format version, CRL_EINVAL when
 *  it is a policy file. */
CRL_API int crl_ckpt_reader_open(const char *path, crl_ckpt_reader **out);
CRL_API void crl_ckpt_reader_free(crl_ckpt_reader *r);

CRL_END_DECLS

#endif
