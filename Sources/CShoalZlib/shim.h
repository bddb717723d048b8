#ifndef SHOAL_ZLIB_SHIM_H
#define SHOAL_ZLIB_SHIM_H
/* zlib for CRC32 (AWS event-stream framing) and gzip. Named CShoalZlib because
   ZIPFoundation already ships a module called CZlib. */
#include <zlib.h>
#endif
