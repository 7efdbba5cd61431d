/* signalfd.h: signalfd entries of emulated instances. */
#ifndef INTERPOLL_SIGNALFD_H
#define INTERPOLL_SIGNALFD_H

#include "emu.h"

struct ep_entry;
struct ep_instance;

/* An entry on a signalfd was added (or goes): track it. */
void sigfd_track(struct emu *e, struct ep_entry *en, int tid);
void sigfd_untrack(struct ep_entry *en);

/* Readiness of a signalfd entry for the thread the emulation polls for. */
uint32_t sigfd_poll(struct ep_entry *en);

/* Look at the signals pending for thread tid (0: each entry's owner) and
 * wake the signalfd entries of ep (NULL: of every instance) that have a
 * new one, as signalfd_notify wakes the signalfd's waiters. */
void sigfd_scan(struct emu *e, struct ep_instance *ep, int tid);

/* The periodic look is due (emu_timers), or a signal may be on its way
 * (emu_signal_soon: look soon). */
void sigfd_check(struct emu *e, int64_t now);
void sigfd_soon(struct emu *e, int64_t now);

#endif
