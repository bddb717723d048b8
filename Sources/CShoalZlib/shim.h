#ifndef SHOAL_ZLIB_SHIM_H
#define SHOAL_ZLIB_SHIM_H
/* zlib for zip entries (inflate, CRC32), CRC32 of AWS event-stream framing, and gzip. Named CShoalZlib because
   ZIPFoundation already ships a module called CZlib. */
#include <zlib.h>

/* inflateInit2 is a macro Swift cannot call: raw deflate (no zlib or gzip header), as zip
   entries hold it. */
static inline int shoal_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -MAX_WBITS);
}
#endif
