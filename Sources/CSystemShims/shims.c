// The one function that needs _GNU_SOURCE for its own headers (a module header cannot set it for Swift's
// imports): CPU_COUNT and sched_getaffinity are GNU extensions.
#define _GNU_SOURCE
#include <sched.h>

int cs_affinity_cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    return CPU_COUNT(&set);
}
