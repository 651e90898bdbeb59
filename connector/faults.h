/* faults.h — deliberate interruptions for crash-safety tests.
 *
 * The connector can be made to exit (status AC_FAULT_EXIT, with _exit: no
 * cleanup, as after kill -9) at a chosen step of its work:
 *
 *   ATRIUM_EXIT_AFTER_REQUEST=K  right after the reply of the K-th request
 *       has arrived and before anything of it is applied: for the server the
 *       request happened, for the connector the reply was lost;
 *   ATRIUM_EXIT_AFTER_STEP=K     after the K-th step, counting every request
 *       (as above) and every committed local store transaction.
 *
 * Tests use them to check that a sync cut anywhere and run again ends in
 * the same state as an uninterrupted one: nothing twice, nothing lost.
 * Without the variables nothing changes. */
#ifndef AC_FAULTS_H
#define AC_FAULTS_H

#include "transport.h"

#define AC_FAULT_EXIT 75

/* Wraps *transport in place when a variable is set; the wrapper state is
 * static (one per process). */
void ac_faults_wrap(ac_transport *transport);
/* A step that ATRIUM_EXIT_AFTER_STEP counts (store.c calls it after each
 * commit). */
void ac_fault_point(const char *what);

#endif
