#ifndef CAPACITYD_BUILD_INFO_H
#define CAPACITYD_BUILD_INFO_H

/// The commit the binary was built from (Package.swift defines it from CAPACITYD_COMMIT), or "unknown".
const char *capacityd_build_commit(void);

#endif
