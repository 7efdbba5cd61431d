/* list.h: intrusive circular doubly linked lists, as in the kernel.
 * An unlinked node points to itself, so "is it queued" is one compare. */
#ifndef INTERPOLL_LIST_H
#define INTERPOLL_LIST_H

#include <stddef.h>

struct list {
	struct list *prev, *next;
};

#define LIST_INIT(name) {&(name), &(name)}
#define container_of(ptr, type, member)                                        \
	((type *)((char *)(ptr)-offsetof(type, member)))

static inline void list_init(struct list *l)
{
	l->prev = l->next = l;
}

static inline int list_empty(const struct list *l)
{
	return l->next == l;
}

static inline void list_insert(struct list *n, struct list *prev,
			       struct list *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

static inline void list_add_tail(struct list *n, struct list *head)
{
	list_insert(n, head->prev, head);
}

static inline void list_add_head(struct list *n, struct list *head)
{
	list_insert(n, head, head->next);
}

static inline void list_del(struct list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

/* Move every node of `from` to the front of `to`, keeping their order. */
static inline void list_splice_head(struct list *from, struct list *to)
{
	if (list_empty(from))
		return;
	struct list *first = from->next, *last = from->prev;
	last->next = to->next;
	to->next->prev = last;
	to->next = first;
	first->prev = to;
	list_init(from);
}

#define list_for_each_safe(pos, tmp, head)                                     \
	for (pos = (head)->next, tmp = pos->next; pos != (head);               \
	     pos = tmp, tmp = pos->next)

#endif
