/* notify.c: receiving and answering seccomp user notifications. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>

#include "compat.h"
#include "linux_plat.h"
#include "trace.h"

int plat_recv(struct plat *p, struct plat_call *c)
{
	struct seccomp_notif n;
	memset(&n, 0, sizeof(n)); /* the kernel wants a zeroed buffer */
	if (ioctl(p->listener, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0)
		return -errno;
	c->recv_ns = plat_now_ns(p);
	plat_received(p, n.id);
	/* Readiness read before the call was made is not the call's. What
	 * this batch read is, when the batch proves the call was queued
	 * before its collection began (the batch's start moved poll_gen
	 * after that collection); anything else is read afresh. */
	if (!p->in_batch || !p->call_synced)
		p->poll_gen++;
	c->id = n.id;
	c->tid = (int32_t)n.pid;
	c->nr = n.data.nr;
	memcpy(c->args, n.data.args, sizeof(c->args));
	abi_translate(c, n.data.arch);
	return 0;
}

static int send_resp(struct plat *p, uint64_t id, int64_t val, int err,
		     uint32_t flags)
{
	struct seccomp_notif_resp r = {
	    .id = id, .val = val, .error = err, .flags = flags};
	for (;;) {
		if (ioctl(p->listener, SECCOMP_IOCTL_NOTIF_SEND, &r) == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int plat_reply(struct plat *p, const struct plat_call *c, int64_t val, int err)
{
	if (p->obs.reply)
		p->obs.reply(p->obs.ctx, c, err ? 0 : val, err, 0);
	int r = send_resp(p, c->id, err ? 0 : val, err, 0);
	if (p->trace)
		trace_answer(p, c, err ? 0 : val, err, TRACE_VALUE, r);
	return r;
}

int plat_continue(struct plat *p, const struct plat_call *c)
{
	if (p->obs.reply)
		p->obs.reply(p->obs.ctx, c, 0, 0, 1);
	int r = send_resp(p, c->id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
	if (p->trace)
		trace_answer(p, c, 0, 0, TRACE_CONTINUE, r);
	return r;
}

int plat_call_alive(struct plat *p, const struct plat_call *c)
{
	uint64_t id = c->id;
	return ioctl(p->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}
