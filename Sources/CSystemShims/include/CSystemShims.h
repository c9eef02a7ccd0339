// The C edge for Linux system calls Swift's Glibc module does not export (epoll, eventfd, accept4,
// TCP_NODELAY). Only declarations and one-line wrappers for macros live here: no logic in C.
#ifndef CSYSTEMSHIMS_H
#define CSYSTEMSHIMS_H

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

// prctl is variadic, which Swift cannot call; this names the calling thread (visible in top -H, core dumps).
static inline void cs_set_current_thread_name(const char *name) { prctl(PR_SET_NAME, name, 0, 0, 0); }

// accept4 is declared only under _GNU_SOURCE, which a module header cannot set for its includes.
extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

// errno is a macro over a thread-local; Swift sees it through this function.
static inline int cs_errno(void) { return errno; }

// Flags that glibc defines as enum constants of an unnamed type or as macros.
static inline int cs_sock_nonblock_cloexec(void) { return SOCK_NONBLOCK | SOCK_CLOEXEC; }
static inline int cs_sock_stream(void) { return SOCK_STREAM; }
static inline int cs_efd_nonblock_cloexec(void) { return EFD_NONBLOCK | EFD_CLOEXEC; }
static inline int cs_msg_nosignal(void) { return MSG_NOSIGNAL; }
static inline uint32_t cs_epollin(void) { return EPOLLIN; }
static inline uint32_t cs_epollout(void) { return EPOLLOUT; }
static inline uint32_t cs_epollerr(void) { return EPOLLERR; }
static inline uint32_t cs_epollhup(void) { return EPOLLHUP; }
static inline uint32_t cs_epollrdhup(void) { return EPOLLRDHUP; }
static inline uint32_t cs_epollexclusive(void) { return EPOLLEXCLUSIVE; }

// epoll_event is packed on x86_64; these accessors keep Swift away from its layout.
static inline void cs_epoll_event_set(struct epoll_event *event, uint32_t events, uint64_t data) {
    event->events = events;
    event->data.u64 = data;
}
static inline uint32_t cs_epoll_event_events(const struct epoll_event *event) { return event->events; }
static inline uint64_t cs_epoll_event_data(const struct epoll_event *event) { return event->data.u64; }

#endif
