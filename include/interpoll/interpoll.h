/* interpoll.h: everything an embedder of the epoll engine includes.
 *
 * - interpoll/engine.h: the engine's entry points (emu_new, emu_call...);
 * - interpoll/platform.h: the platform contract the embedder implements
 *   (plat_*), and the upcalls the engine makes back (emu_wakeup...);
 * - interpoll/version.h: the version.
 *
 * docs/EMBEDDING.md is the guide; examples/inproc/ a complete embedder.
 */
#ifndef INTERPOLL_INTERPOLL_H
#define INTERPOLL_INTERPOLL_H

#include "engine.h"
#include "platform.h"
#include "interpoll/version.h" /* generated: in the build tree */

#endif
