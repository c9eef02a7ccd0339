#include "build_info.h"

#ifndef CAPACITYD_COMMIT
#define CAPACITYD_COMMIT "unknown"
#endif

const char *capacityd_build_commit(void) {
    return CAPACITYD_COMMIT;
}
