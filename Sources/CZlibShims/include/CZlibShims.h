// The C edge for zlib (Debian's zlib1g): deflateInit2 is a macro that passes the library version and the
// z_stream size, so Swift cannot call it; this wrapper can. No logic in C.
#ifndef CZLIBSHIMS_H
#define CZLIBSHIMS_H

#include <zlib.h>

// windowBits 15 + 16 asks for a gzip wrapper (RFC 1952) rather than zlib's (RFC 1950).
static inline int czs_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

#endif
