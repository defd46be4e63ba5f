/* eptag.h: unirootd's epoll data tags: the first int of every object
 * registered with the event loop (unirootd.c) says what it is. */
#ifndef UNIROOTD_EPTAG_H
#define UNIROOTD_EPTAG_H

enum ep_tag { EP_LISTEN = 1, EP_CLIENT, EP_SIGNAL, EP_RINGBUF, EP_TIMER, EP_FANOTIFY };

#endif
