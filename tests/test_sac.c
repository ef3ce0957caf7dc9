/* SAC learns Pendulum-v1 in RLtools' small configuration (alpha learned
 * from 0.5 towards entropy -1; see offpolicy_learn.h for why the best of
 * the late evaluations is checked). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "offpolicy_learn.h"

static void test_pendulum_learns(void **state) {
  (void)state;
  static const char *const kv[] = {SMALL_PENDULUM_KEYS, "ent_coef", "auto_0.5",
                                   "target_entropy",    "-1",       NULL};
  /* seeds 0-5 of the float build: best of 4k-7k between -99 and -192 */
  assert_true(train_best_eval("sac", kv, 0, 7000, 4000) >= -400);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pendulum_learns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
