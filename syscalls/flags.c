/* flags.c: names of epoll and poll event bits, for tracing. */
#include "flags.h"

#include <stdio.h>
#include <string.h>

static const struct {
	uint32_t bit;
	const char *name;
} names[] = {
	{0x001, "IN"},	   {0x002, "PRI"},	 {0x004, "OUT"},
	{0x008, "ERR"},	   {0x010, "HUP"},	 {0x020, "NVAL"},
	{0x040, "RDNORM"}, {0x080, "RDBAND"},	 {0x100, "WRNORM"},
	{0x200, "WRBAND"}, {0x400, "MSG"},	 {0x2000, "RDHUP"},
	{1u << 28, "EXCLUSIVE"}, {1u << 29, "WAKEUP"}, {1u << 30, "ONESHOT"},
	{1u << 31, "ET"},
};

const char *event_names(uint32_t mask, const char *prefix, char *buf,
			size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(mask & names[i].bit))
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
					 "%s%s%s", used ? "|" : "", prefix,
					 names[i].name);
		mask &= ~names[i].bit;
	}
	if (mask || !used)
		snprintf(buf + used, used < len ? len - used : 0, "%s%#x",
			 used ? "|" : "", mask);
	return buf;
}
