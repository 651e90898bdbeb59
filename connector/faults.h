/* faults.h — deliberate interruptions for crash-safety tests.
 *
 * With ATRIUM_EXIT_AFTER_REQUEST=K in the environment, the connector's
 * transport is wrapped so that the process exits (status AC_FAULT_EXIT) right
 * after the reply of its K-th request has arrived and before anything of it
 * is applied: for the server the request happened, for the connector the
 * reply was lost.  Tests use it to check that replays create nothing twice
 * and lose nothing.  Without the variable the transport is left as it is. */
#ifndef AC_FAULTS_H
#define AC_FAULTS_H

#include "transport.h"

#define AC_FAULT_EXIT 75

/* Wraps *transport in place when the variable is set; the wrapper state is
 * static (one per process). */
void ac_faults_wrap(ac_transport *transport);

#endif
