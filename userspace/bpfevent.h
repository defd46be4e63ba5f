/* bpfevent.h: what one BPF ring-buffer event means for the agent. Mounts
 * and umounts go to the sink (a relative target made absolute through
 * /proc first, the device taken from the source where mount(2) names one);
 * loop and device-mapper ioctls are logged with what sysfs says of the
 * device now, and counted. */
#ifndef UNIROOTD_BPFEVENT_H
#define UNIROOTD_BPFEVENT_H

#include <linux/types.h>

#include "sink.h"
#include "uniroot_events.h"

/* observed_by names the live BPF variant; sysfs is where sysfs is mounted. */
void bpfevent_dispatch(const struct ur_event *e, const char *observed_by, const char *sysfs,
                       const struct obs_sink *s);

#endif
