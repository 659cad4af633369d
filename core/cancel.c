/*
 * cancel.c - the process-wide "stop now" flag behind cancel.h. Does not
 * install signal handlers: that is the CLI's business.
 */
#include <signal.h>

#include "ferry/cancel.h"

static volatile sig_atomic_t requested;

void ferry_cancel_request(void)
{
	requested = 1;
}

int ferry_cancelled(void)
{
	return requested != 0;
}

int ferry_cancel_check(struct ferry_error *err)
{
	if (!requested)
		return 0;
	return ferry_error_set(err, FERRY_EINTR, "interrupted");
}
