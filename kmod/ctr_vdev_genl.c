// SPDX-License-Identifier: GPL-2.0
/*
 * ctr_vdev generic netlink family: configuration requests from ctr-ipcd (register containers,
 * create devices, focus, bar), the resource and statistics dumps, and the admin-only
 * multicast group that reports hot-plug and focus changes.
 */
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <net/genetlink.h>
#include "ctr_vdev.h"

#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "this kernel cannot restrict generic netlink multicast groups to admins"
#endif

static const struct nla_policy vdev_genl_policy[CTR_VDEV_A_MAX + 1] = {
	[CTR_VDEV_A_CONTAINER] = { .type = NLA_NUL_STRING, .len = CTR_VDEV_NAME_MAX - 1 },
	[CTR_VDEV_A_PID] = NLA_POLICY_MIN(NLA_U32, 1),
	[CTR_VDEV_A_RESOURCE] = { .type = NLA_U32 },
	[CTR_VDEV_A_NAME] = { .type = NLA_NUL_STRING, .len = CTR_VDEV_NAME_MAX - 1 },
	[CTR_VDEV_A_REDIRECT] = { .type = NLA_NUL_STRING, .len = CTR_VDEV_NAME_MAX - 1 },
	/* Everything else is reply-only: NLA_UNSPEC, which strict validation refuses. */
};

static const struct genl_multicast_group vdev_genl_mcgrps[] = {
	{ .name = CTR_VDEV_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family vdev_genl_family;

/* Stats and routing names of a resource, copied under its lock. */
struct vdev_res_snapshot {
	struct vdev_res_stats stats;
	char focus[CTR_VDEV_NAME_MAX];
	char target[CTR_VDEV_NAME_MAX];
};

static void vdev_res_snapshot(struct vdev_res *res, struct vdev_res_snapshot *snap)
{
	unsigned long flags;

	spin_lock_irqsave(&res->lock, flags);
	snap->stats = res->stats;
	strscpy(snap->focus, res->focus ? res->focus->ctr->name : "", sizeof(snap->focus));
	strscpy(snap->target, res->target ? res->target->ctr->name : "", sizeof(snap->target));
	spin_unlock_irqrestore(&res->lock, flags);
}

static int vdev_put_routing(struct sk_buff *skb, const struct vdev_res_snapshot *snap)
{
	if (snap->focus[0] && nla_put_string(skb, CTR_VDEV_A_FOCUS, snap->focus))
		return -EMSGSIZE;
	if (snap->target[0] && nla_put_string(skb, CTR_VDEV_A_TARGET, snap->target))
		return -EMSGSIZE;
	return 0;
}

static int vdev_genl_fill_res(struct sk_buff *skb, struct vdev_res *res, u32 portid, u32 seq,
			      int flags, u8 cmd, struct netlink_callback *cb)
{
	struct vdev_res_snapshot snap;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vdev_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	vdev_res_snapshot(res, &snap);
	if (nla_put_u32(skb, CTR_VDEV_A_RESOURCE, res->id) ||
	    nla_put_string(skb, CTR_VDEV_A_RES_NAME, res->name) ||
	    nla_put_string(skb, CTR_VDEV_A_RES_PHYS, res->phys))
		goto out_cancel;
	if (cmd == CTR_VDEV_CMD_RESOURCE_REMOVED)
		goto out_end;
	if (nla_put_u32(skb, CTR_VDEV_A_RES_EVBITS, res->evbits) ||
	    vdev_put_routing(skb, &snap) ||
	    nla_put_u64_64bit(skb, CTR_VDEV_A_EVENTS_IN, snap.stats.events_in, CTR_VDEV_A_PAD) ||
	    nla_put_u64_64bit(skb, CTR_VDEV_A_DELIVERED, snap.stats.delivered, CTR_VDEV_A_PAD) ||
	    nla_put_u64_64bit(skb, CTR_VDEV_A_DROPPED, snap.stats.dropped, CTR_VDEV_A_PAD) ||
	    nla_put_u64_64bit(skb, CTR_VDEV_A_REDIRECTED, snap.stats.redirected,
			      CTR_VDEV_A_PAD) ||
	    nla_put_u64_64bit(skb, CTR_VDEV_A_REFUSED_WRITES, snap.stats.refused_writes,
			      CTR_VDEV_A_PAD))
		goto out_cancel;
out_end:
	genlmsg_end(skb, hdr);
	return 0;

out_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int vdev_genl_fill_vdev(struct sk_buff *skb, struct vdev *vdev, u32 portid, u32 seq,
			       int flags, u8 cmd, struct netlink_callback *cb)
{
	struct vdev_res *res = vdev->res;
	struct vdev_res_snapshot snap;
	struct vdev_stats stats;
	unsigned int openers, queued;
	unsigned long irqflags;
	char redirect[CTR_VDEV_NAME_MAX];
	bool barred;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vdev_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	vdev_res_snapshot(res, &snap);
	spin_lock_irqsave(&res->lock, irqflags);
	barred = vdev->barred;
	strscpy(redirect, vdev->redirect, sizeof(redirect));
	spin_lock(&vdev->ring_lock);
	stats = vdev->stats;
	openers = vdev->openers;
	queued = vdev->head - vdev->tail;
	spin_unlock(&vdev->ring_lock);
	spin_unlock_irqrestore(&res->lock, irqflags);

	if (nla_put_string(skb, CTR_VDEV_A_CONTAINER, vdev->ctr->name) ||
	    nla_put_u32(skb, CTR_VDEV_A_RESOURCE, res->id) ||
	    nla_put_string(skb, CTR_VDEV_A_NAME, vdev->name) ||
	    nla_put_u32(skb, CTR_VDEV_A_DEV_MAJOR, MAJOR(vdev->dev.devt)) ||
	    nla_put_u32(skb, CTR_VDEV_A_DEV_MINOR, MINOR(vdev->dev.devt)))
		goto out_cancel;
	if (cmd == CTR_VDEV_CMD_CREATE)
		goto out_end;
	if ((barred && nla_put_flag(skb, CTR_VDEV_A_BARRED)) ||
	    (redirect[0] && nla_put_string(skb, CTR_VDEV_A_REDIRECT, redirect)) ||
	    vdev_put_routing(skb, &snap) ||
	    nla_put_u32(skb, CTR_VDEV_A_OPENERS, openers) ||
	    nla_put_u32(skb, CTR_VDEV_A_QUEUED, queued) ||
	    nla_put_u64_64bit(skb, CTR_VDEV_A_DELIVERED, stats.delivered, CTR_VDEV_A_PAD) ||
	    nla_put_u64_64bit(skb, CTR_VDEV_A_DROPPED, stats.dropped, CTR_VDEV_A_PAD) ||
	    nla_put_u64_64bit(skb, CTR_VDEV_A_REDIRECTED, stats.redirected, CTR_VDEV_A_PAD) ||
	    nla_put_u64_64bit(skb, CTR_VDEV_A_REFUSED_WRITES, stats.refused_writes,
			      CTR_VDEV_A_PAD))
		goto out_cancel;
out_end:
	genlmsg_end(skb, hdr);
	return 0;

out_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* Multicast helpers; called with vdev_mutex held, in process context. */
static void vdev_genl_multicast(struct sk_buff *skb)
{
	genlmsg_multicast(&vdev_genl_family, skb, 0, 0, GFP_KERNEL);
}

void vdev_genl_notify_res(struct vdev_res *res, u8 cmd)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&vdev_genl_family, &init_net, 0))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (vdev_genl_fill_res(skb, res, 0, 0, 0, cmd, NULL)) {
		nlmsg_free(skb);
		return;
	}
	vdev_genl_multicast(skb);
}

void vdev_genl_notify_focus(struct vdev_res *res)
{
	struct vdev_res_snapshot snap;
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&vdev_genl_family, &init_net, 0))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &vdev_genl_family, 0, CTR_VDEV_CMD_FOCUS_CHANGED);
	if (!hdr)
		goto out_free;
	vdev_res_snapshot(res, &snap);
	if (nla_put_u32(skb, CTR_VDEV_A_RESOURCE, res->id) || vdev_put_routing(skb, &snap))
		goto out_free;
	genlmsg_end(skb, hdr);
	vdev_genl_multicast(skb);
	return;

out_free:
	nlmsg_free(skb);
}

/* Attribute lookups for requests; set an extended ack message on failure. */
static struct vdev_container *vdev_genl_container(struct genl_info *info, int attr)
{
	struct vdev_container *ctr;

	if (GENL_REQ_ATTR_CHECK(info, attr))
		return ERR_PTR(-EINVAL);
	ctr = vdev_container_find(nla_data(info->attrs[attr]));
	if (!ctr) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[attr], "no such container");
		return ERR_PTR(-ENOENT);
	}
	return ctr;
}

static struct vdev_res *vdev_genl_res(struct genl_info *info)
{
	struct vdev_res *res;

	if (GENL_REQ_ATTR_CHECK(info, CTR_VDEV_A_RESOURCE))
		return ERR_PTR(-EINVAL);
	res = vdev_res_find(nla_get_u32(info->attrs[CTR_VDEV_A_RESOURCE]));
	if (!res) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[CTR_VDEV_A_RESOURCE],
				    "no such resource");
		return ERR_PTR(-ENOENT);
	}
	return res;
}

/* The device of (CONTAINER, RESOURCE). */
static struct vdev *vdev_genl_vdev(struct genl_info *info)
{
	struct vdev_container *ctr;
	struct vdev_res *res;
	struct vdev *vdev;

	ctr = vdev_genl_container(info, CTR_VDEV_A_CONTAINER);
	if (IS_ERR(ctr))
		return ERR_CAST(ctr);
	res = vdev_genl_res(info);
	if (IS_ERR(res))
		return ERR_CAST(res);
	vdev = vdev_find(res, ctr);
	if (!vdev) {
		GENL_SET_ERR_MSG(info, "container has no device on this resource");
		return ERR_PTR(-ENOENT);
	}
	return vdev;
}

static int vdev_genl_register(struct sk_buff *skb, struct genl_info *info)
{
	struct pid_namespace *pid_ns = NULL;
	struct task_struct *task;
	const char *name;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, CTR_VDEV_A_CONTAINER) ||
	    GENL_REQ_ATTR_CHECK(info, CTR_VDEV_A_PID))
		return -EINVAL;
	name = nla_data(info->attrs[CTR_VDEV_A_CONTAINER]);
	if (!vdev_name_valid(name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[CTR_VDEV_A_CONTAINER],
				    "container names are 1-31 of [A-Za-z0-9_.-]");
		return -EINVAL;
	}

	rcu_read_lock();
	task = pid_task(find_vpid(nla_get_u32(info->attrs[CTR_VDEV_A_PID])), PIDTYPE_PID);
	if (task) {
		pid_ns = task_active_pid_ns(task);
		if (pid_ns)
			get_pid_ns(pid_ns);
	}
	rcu_read_unlock();
	if (!pid_ns) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[CTR_VDEV_A_PID], "no such process");
		return -ESRCH;
	}
	if (pid_ns == task_active_pid_ns(current)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[CTR_VDEV_A_PID],
				    "process shares the caller's pid namespace");
		err = -EINVAL;
		goto out_put_ns;
	}

	mutex_lock(&vdev_mutex);
	err = vdev_container_register(name, pid_ns);
	mutex_unlock(&vdev_mutex);
	if (err == -EEXIST)
		GENL_SET_ERR_MSG(info, "container already registered");
	else if (err == -EBUSY)
		GENL_SET_ERR_MSG(info, "pid namespace already registered for another container");
	if (!err)
		return 0;
out_put_ns:
	put_pid_ns(pid_ns);
	return err;
}

static int vdev_genl_unregister(struct sk_buff *skb, struct genl_info *info)
{
	struct vdev_container *ctr;
	int err;

	mutex_lock(&vdev_mutex);
	ctr = vdev_genl_container(info, CTR_VDEV_A_CONTAINER);
	err = IS_ERR(ctr) ? PTR_ERR(ctr) : vdev_container_unregister(ctr);
	mutex_unlock(&vdev_mutex);
	return err;
}

static int vdev_genl_create(struct sk_buff *skb, struct genl_info *info)
{
	struct vdev_container *ctr;
	struct vdev_res *res;
	struct sk_buff *reply;
	struct vdev *vdev;
	const char *name;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, CTR_VDEV_A_NAME))
		return -EINVAL;
	name = nla_data(info->attrs[CTR_VDEV_A_NAME]);
	if (!vdev_name_valid(name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[CTR_VDEV_A_NAME],
				    "device names are 1-31 of [A-Za-z0-9_.-]");
		return -EINVAL;
	}
	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;

	mutex_lock(&vdev_mutex);
	ctr = vdev_genl_container(info, CTR_VDEV_A_CONTAINER);
	if (IS_ERR(ctr)) {
		err = PTR_ERR(ctr);
		goto out_unlock;
	}
	res = vdev_genl_res(info);
	if (IS_ERR(res)) {
		err = PTR_ERR(res);
		goto out_unlock;
	}
	err = vdev_create(ctr, res, name, &vdev);
	if (err == -EEXIST)
		GENL_SET_ERR_MSG(info, "container already has this device name or resource");
	if (err)
		goto out_unlock;
	err = vdev_genl_fill_vdev(reply, vdev, info->snd_portid, info->snd_seq, 0,
				  CTR_VDEV_CMD_CREATE, NULL);
	mutex_unlock(&vdev_mutex);
	if (err)
		goto out_free;
	return genlmsg_reply(reply, info);

out_unlock:
	mutex_unlock(&vdev_mutex);
out_free:
	nlmsg_free(reply);
	return err;
}

static int vdev_genl_destroy(struct sk_buff *skb, struct genl_info *info)
{
	struct vdev *vdev;
	int err = 0;

	mutex_lock(&vdev_mutex);
	vdev = vdev_genl_vdev(info);
	if (IS_ERR(vdev))
		err = PTR_ERR(vdev);
	else
		vdev_destroy(vdev);
	mutex_unlock(&vdev_mutex);
	return err;
}

static int vdev_genl_set_focus(struct sk_buff *skb, struct genl_info *info)
{
	struct vdev *vdev = NULL;
	struct vdev_res *res;
	int err = 0;

	mutex_lock(&vdev_mutex);
	if (info->attrs[CTR_VDEV_A_CONTAINER]) {
		vdev = vdev_genl_vdev(info);
		if (IS_ERR(vdev)) {
			err = PTR_ERR(vdev);
			goto out_unlock;
		}
		res = vdev->res;
	} else {
		res = vdev_genl_res(info);
		if (IS_ERR(res)) {
			err = PTR_ERR(res);
			goto out_unlock;
		}
	}
	vdev_set_focus(res, vdev);
out_unlock:
	mutex_unlock(&vdev_mutex);
	return err;
}

static int vdev_genl_block(struct sk_buff *skb, struct genl_info *info)
{
	bool block = info->genlhdr->cmd == CTR_VDEV_CMD_BLOCK;
	struct nlattr *redirect = info->attrs[CTR_VDEV_A_REDIRECT];
	struct vdev *vdev;
	int err = 0;

	if (redirect && !block) {
		NL_SET_ERR_MSG_ATTR(info->extack, redirect, "unblock takes no redirect");
		return -EINVAL;
	}

	mutex_lock(&vdev_mutex);
	vdev = vdev_genl_vdev(info);
	if (IS_ERR(vdev)) {
		err = PTR_ERR(vdev);
		goto out_unlock;
	}
	if (redirect) {
		struct vdev_container *to = vdev_genl_container(info, CTR_VDEV_A_REDIRECT);

		if (IS_ERR(to)) {
			err = PTR_ERR(to);
			goto out_unlock;
		}
		if (to == vdev->ctr) {
			NL_SET_ERR_MSG_ATTR(info->extack, redirect,
					    "a container cannot be redirected to itself");
			err = -EINVAL;
			goto out_unlock;
		}
	}
	vdev_set_bar(vdev, block, redirect ? nla_data(redirect) : NULL);
out_unlock:
	mutex_unlock(&vdev_mutex);
	return err;
}

static int vdev_genl_dump_resources(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long idx = 0, start = cb->args[0];
	struct vdev_res *res;

	mutex_lock(&vdev_mutex);
	cb->seq = vdev_generation;
	list_for_each_entry(res, &vdev_resources, node) {
		if (idx < start) {
			idx++;
			continue;
		}
		if (vdev_genl_fill_res(skb, res, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				       NLM_F_MULTI, CTR_VDEV_CMD_RESOURCES, cb))
			break;
		idx++;
	}
	mutex_unlock(&vdev_mutex);
	cb->args[0] = idx;
	return skb->len;
}

static int vdev_genl_dump_stats(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long idx = 0, start = cb->args[0];
	struct vdev *vdev;

	mutex_lock(&vdev_mutex);
	cb->seq = vdev_generation;
	list_for_each_entry(vdev, &vdev_all, node) {
		if (idx < start) {
			idx++;
			continue;
		}
		if (vdev_genl_fill_vdev(skb, vdev, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
					NLM_F_MULTI, CTR_VDEV_CMD_STATS, cb))
			break;
		idx++;
	}
	mutex_unlock(&vdev_mutex);
	cb->args[0] = idx;
	return skb->len;
}

/* Dumps are open to everyone (like /proc/bus/input/devices); every change needs CAP_NET_ADMIN. */
static const struct genl_small_ops vdev_genl_ops[] = {
	{ .cmd = CTR_VDEV_CMD_RESOURCES, .dumpit = vdev_genl_dump_resources },
	{ .cmd = CTR_VDEV_CMD_REGISTER, .doit = vdev_genl_register, .flags = GENL_ADMIN_PERM },
	{ .cmd = CTR_VDEV_CMD_UNREGISTER, .doit = vdev_genl_unregister,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = CTR_VDEV_CMD_CREATE, .doit = vdev_genl_create, .flags = GENL_ADMIN_PERM },
	{ .cmd = CTR_VDEV_CMD_DESTROY, .doit = vdev_genl_destroy, .flags = GENL_ADMIN_PERM },
	{ .cmd = CTR_VDEV_CMD_SET_FOCUS, .doit = vdev_genl_set_focus, .flags = GENL_ADMIN_PERM },
	{ .cmd = CTR_VDEV_CMD_BLOCK, .doit = vdev_genl_block, .flags = GENL_ADMIN_PERM },
	{ .cmd = CTR_VDEV_CMD_UNBLOCK, .doit = vdev_genl_block, .flags = GENL_ADMIN_PERM },
	{ .cmd = CTR_VDEV_CMD_STATS, .dumpit = vdev_genl_dump_stats },
};

/*
 * resv_start_op stays 0: every op gets strict attribute validation against the family policy
 * and has its reserved header field checked.  Not netnsok: only the initial network namespace
 * (where ctr-ipcd runs) sees the family, so containers with their own netns cannot.
 */
static struct genl_family vdev_genl_family = {
	.name = CTR_VDEV_GENL_NAME,
	.version = CTR_VDEV_GENL_VERSION,
	.maxattr = CTR_VDEV_A_MAX,
	.policy = vdev_genl_policy,
	.module = THIS_MODULE,
	.small_ops = vdev_genl_ops,
	.n_small_ops = ARRAY_SIZE(vdev_genl_ops),
	.mcgrps = vdev_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vdev_genl_mcgrps),
};

int vdev_genl_init(void)
{
	return genl_register_family(&vdev_genl_family);
}

void vdev_genl_exit(void)
{
	genl_unregister_family(&vdev_genl_family);
}
