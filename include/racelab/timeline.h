/* timeline.h — a picture of an interleaving: the last probe session's trace as
 * a self-contained SVG (no scripts, no external fonts or images).
 *
 * One lane per probed thread, named; each trace record a mark on the step
 * axis (time runs down the page) with its operation and object; the
 * synchronisation edges the trace shows as arrows between lanes (spawn ->
 * start, exit -> join, unlock -> a later lock of the same mutex, release
 * store/RMW -> an acquire load/RMW of the same location (or an acquire fence
 * after a load or RMW of it; one arrow per release and reading thread), RCU
 * publish -> a dereference that read the published pointer; a release fence
 * before a relaxed store is not drawn); each reported race's two
 * accesses (or a deadlock's blocked operations) in red, with the missing edge
 * in words at the bottom. Long runs of one thread are folded into one row,
 * and a very long trace keeps the rows around the reports, so a few hundred
 * events stay readable.
 *
 * It reads only the public results of probe.h (rl_probe_trace_at(),
 * rl_probe_report_at(), rl_probe_get_stats(), rl_probe_thread_name()), so it
 * works for any session that recorded a trace (rl_probe_config.trace).
 */
#ifndef RACELAB_TIMELINE_H
#define RACELAB_TIMELINE_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * rl_timeline_write() - draw the last session's interleaving as SVG.
 * @f:     where the SVG document goes.
 * @title: the picture's heading (e.g. the workload and its replay line), or
 *         NULL for "racelab timeline".
 *
 * A session without a trace draws an empty timeline that says so.
 * Context: not attached (after rl_probe_detach()), or attached from T0 with no
 * probed thread running; the results stay untouched.
 * Return: RL_OK; RL_ENOMEM (nothing written); RL_EIO if @f reported an
 * output error (errno says which).
 */
int rl_timeline_write(FILE *f, const char *title);

/**
 * rl_timeline_save() - rl_timeline_write() into the file @path.
 * @path:  the SVG file to create or replace.
 * @title: as for rl_timeline_write().
 *
 * The picture is drawn in memory first, so a failure leaves no partial file:
 * either @path holds the whole picture or it was not created (a file that
 * could not be written completely is removed).
 * Context: as for rl_timeline_write().
 * Return: RL_OK; RL_EINVAL for a NULL or empty @path; RL_ENOMEM; RL_EIO if the
 * file could not be created or written (errno says why).
 */
int rl_timeline_save(const char *path, const char *title);

#ifdef __cplusplus
}
#endif
#endif
