/* TD3 learns Pendulum-v1 in RLtools' small configuration (see
 * offpolicy_learn.h for why the best of the late evaluations is checked). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "offpolicy_learn.h"

static void test_pendulum_learns(void **state) {
  (void)state;
  static const char *const kv[] = {SMALL_PENDULUM_KEYS,
                                   "noise_type",
                                   "normal",
                                   "noise_std",
                                   "0.1",
                                   "policy_delay",
                                   "2",
                                   "target_policy_noise",
                                   "0.2",
                                   "target_noise_clip",
                                   "0.5",
                                   NULL};
  /* seeds 0-5 of the float build: best of 6k-9k between -107 and -220 */
  assert_true(train_best_eval("td3", kv, 0, 9000, 6000) >= -400);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pendulum_learns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
