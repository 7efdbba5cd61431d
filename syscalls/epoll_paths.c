/* epoll_paths.c: the kernel's limit on wake-up paths through nested
 * instances (fs/eventpoll.c: reverse_path_check).
 *
 * A wake-up of a file runs through every instance that watches it and,
 * from each instance that is itself watched, on up. Linux caps how many
 * such paths one file may have, by length: any number of direct watchers,
 * but at most 500 paths of length 2, 100 of length 3, 50 of length 4 and
 * 10 of length 5, and an ADD that would go beyond fails with EINVAL. The
 * check runs when the ADD involves nesting (the target instance is
 * watched, or the file added is an instance), for the file added, or for
 * every ordinary file below the instance added, counting the new entry.
 *
 * Files are told apart by the platform (plat_same_file against a guest fd
 * naming the file), so the walk only looks at entries of instances that
 * are themselves watched: a direct watcher's paths are not limited. */
#include "epoll.h"

#include <errno.h>

#define PATH_LEVELS (EP_MAX_NESTS + 1)

static const int path_limits[PATH_LEVELS] = {0, 500, 100, 50, 10};

static int watched(const struct ep_instance *ep)
{
	struct list *pos;
	for (pos = ep->parents.next; pos != &ep->parents; pos = pos->next) {
		struct ep_entry *p =
		    container_of(pos, struct ep_entry, childlink);
		if (!p->ep->dead && plat_handle_alive(p->ep->emu->plat, p->h))
			return 1;
	}
	return 0;
}

/* Count the paths from watched instance ep (at `depth` links above the
 * file) to the instances at the top. -1 once a limit is passed. */
static int count_up(struct ep_instance *ep, int depth, int *count)
{
	struct list *pos;
	if (depth >= PATH_LEVELS)
		return -1;
	for (pos = ep->parents.next; pos != &ep->parents; pos = pos->next) {
		struct ep_entry *p =
		    container_of(pos, struct ep_entry, childlink);
		if (p->ep->dead || !plat_handle_alive(p->ep->emu->plat, p->h))
			continue;
		if (!watched(p->ep)) {
			if (++count[depth] > path_limits[depth])
				return -1;
		} else if (count_up(p->ep, depth + 1, count) < 0) {
			return -1;
		}
	}
	return 0;
}

/* reverse_path_check for the file the caller's fd names. */
static int check_file(struct emu *e, const struct plat_call *c, int fd)
{
	int count[PATH_LEVELS] = {0};
	struct list *pos;
	for (pos = e->instances.next; pos != &e->instances; pos = pos->next) {
		struct ep_instance *ep =
		    container_of(pos, struct ep_instance, link);
		if (ep->dead || !watched(ep))
			continue;
		uint64_t key;
		void *val;
		for (size_t i = 0; u64map_next(&ep->fds, &i, &key, &val);)
			for (struct ep_entry *en = val; en;
			     en = en->next_same_fd)
				if (!en->child &&
				    plat_same_file(e->plat, c, en->h, fd) ==
					0 &&
				    count_up(ep, 1, count) < 0)
					return -EINVAL;
	}
	return 0;
}

/* Every ordinary file below child (whose own fd in the caller's table
 * still names it: the only way to tell files apart here), checked. */
static int check_below(struct emu *e, const struct plat_call *c,
		       struct ep_instance *child, int depth)
{
	uint64_t key;
	void *val;
	if (depth > EP_MAX_NESTS)
		return 0;
	for (size_t i = 0; u64map_next(&child->fds, &i, &key, &val);) {
		for (struct ep_entry *en = val; en; en = en->next_same_fd) {
			int r = 0;
			if (en->child)
				r = check_below(e, c, en->child, depth + 1);
			else if (plat_same_file(e->plat, c, en->h, en->fd) == 0)
				r = check_file(e, c, en->fd);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int ep_path_check(struct emu *e, const struct plat_call *c,
		  struct ep_instance *ep, struct ep_entry *added, int fd)
{
	if (added->child)
		return check_below(e, c, added->child, 0);
	if (!watched(ep))
		return 0; /* no full check: a direct watcher */
	return check_file(e, c, fd);
}
