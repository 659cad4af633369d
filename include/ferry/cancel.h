/*
 * cancel.h - cooperative cancellation (Ctrl-C).
 *
 * The CLI's SIGINT/SIGTERM handler calls ferry_cancel_request(), which is
 * async-signal-safe. Long operations call ferry_cancel_check() at points
 * where stopping is safe (between uploads, before a record or the live
 * pointer is written, while waiting for a child process) and then undo what
 * they hold (the stage lock, a running handler) and return FERRY_EINTR, so
 * an interrupted deploy leaves the previous release live and unlocked.
 */
#ifndef FERRY_CANCEL_H
#define FERRY_CANCEL_H

#include "error.h"

/* Ask running operations to stop. Async-signal-safe. */
void ferry_cancel_request(void);

/* 1 once cancellation was requested. Async-signal-safe. */
int ferry_cancelled(void);

/* FERRY_EINTR with the message "interrupted" once requested, else 0. */
int ferry_cancel_check(struct ferry_error *err);

#endif
