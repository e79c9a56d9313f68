// SPDX-License-Identifier: GPL-2.0
/*
 * ctr_vdev: module entry points, the registry of containers, resources and virtual devices,
 * and the focus/bar rules that decide which virtual device receives a resource's events.
 */
#include <linux/ctype.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include "ctr_vdev.h"

/* Configuration lock: every list below and every change of routing state. */
DEFINE_MUTEX(vdev_mutex);
LIST_HEAD(vdev_resources);
LIST_HEAD(vdev_all);
/* Bumped on every list change so that dumps can flag NLM_F_DUMP_INTR. */
unsigned int vdev_generation = 1;

static LIST_HEAD(vdev_containers);
static u32 vdev_next_res_id;

bool vdev_name_valid(const char *name)
{
	size_t len = strnlen(name, CTR_VDEV_NAME_MAX);
	size_t i;

	if (len == 0 || len >= CTR_VDEV_NAME_MAX)
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!isalnum(c) && c != '_' && c != '-' && c != '.')
			return false;
	}
	return true;
}

struct vdev_container *vdev_container_find(const char *name)
{
	struct vdev_container *ctr;

	lockdep_assert_held(&vdev_mutex);
	list_for_each_entry(ctr, &vdev_containers, node)
		if (!strcmp(ctr->name, name))
			return ctr;
	return NULL;
}

static void vdev_container_release(struct kref *ref)
{
	struct vdev_container *ctr = container_of(ref, struct vdev_container, ref);

	put_pid_ns(ctr->pid_ns);
	kfree(ctr);
}

void vdev_container_put(struct vdev_container *ctr)
{
	kref_put(&ctr->ref, vdev_container_release);
}

/* Takes over the caller's reference on @pid_ns on success. */
int vdev_container_register(const char *name, struct pid_namespace *pid_ns)
{
	struct vdev_container *ctr;

	lockdep_assert_held(&vdev_mutex);
	if (vdev_container_find(name))
		return -EEXIST;
	list_for_each_entry(ctr, &vdev_containers, node)
		if (ctr->pid_ns == pid_ns)
			return -EBUSY;

	ctr = kzalloc(sizeof(*ctr), GFP_KERNEL);
	if (!ctr)
		return -ENOMEM;
	kref_init(&ctr->ref);
	strscpy(ctr->name, name, sizeof(ctr->name));
	ctr->pid_ns = pid_ns;
	list_add_tail(&ctr->node, &vdev_containers);
	vdev_generation++;
	return 0;
}

/*
 * Pick the virtual device that receives @res's events:
 *  1. nobody holds focus: nobody;
 *  2. the focus holder is not barred: the focus holder;
 *  3. it is barred and names a redirect container that has an unbarred device here: that one;
 *  4. otherwise the most recently focused unbarred device (the foreground one among those
 *     not barred), or nobody if there is none.
 * Cases 3 and 4 count as redirected.
 */
static struct vdev *vdev_pick_target(struct vdev_res *res, bool *ret_redirected)
{
	struct vdev *focus = res->focus;
	struct vdev *vdev;

	*ret_redirected = false;
	if (!focus)
		return NULL;
	if (!focus->barred)
		return focus;

	*ret_redirected = true;
	if (focus->redirect[0]) {
		list_for_each_entry(vdev, &res->vdevs, res_node)
			if (!vdev->barred && !strcmp(vdev->ctr->name, focus->redirect))
				return vdev;
	}
	list_for_each_entry(vdev, &res->vdevs, res_node)
		if (!vdev->barred && vdev->ever_focused)
			return vdev;
	return NULL;
}

/*
 * Recompute the target after a routing change; the device losing the events gets key-ups for
 * every key it still holds, so nothing sticks.  Called with res->lock held.
 */
static bool vdev_retarget_locked(struct vdev_res *res)
{
	struct vdev *old = res->target;
	struct vdev *new;
	bool redirected;

	new = vdev_pick_target(res, &redirected);
	res->target_redirected = redirected;
	if (new == old)
		return false;
	if (old)
		vdev_release_keys(old, ktime_get_ns());
	res->target = new;
	return true;
}

void vdev_set_focus(struct vdev_res *res, struct vdev *vdev)
{
	unsigned long flags;

	lockdep_assert_held(&vdev_mutex);
	spin_lock_irqsave(&res->lock, flags);
	res->focus = vdev;
	if (vdev) {
		/* Keep res->vdevs in most-recently-focused order for rule 4. */
		list_move(&vdev->res_node, &res->vdevs);
		vdev->ever_focused = true;
	}
	vdev_retarget_locked(res);
	spin_unlock_irqrestore(&res->lock, flags);
	vdev_genl_notify_focus(res);
}

void vdev_set_bar(struct vdev *vdev, bool barred, const char *redirect)
{
	struct vdev_res *res = vdev->res;
	unsigned long flags;

	lockdep_assert_held(&vdev_mutex);
	spin_lock_irqsave(&res->lock, flags);
	vdev->barred = barred;
	strscpy(vdev->redirect, redirect ? redirect : "", sizeof(vdev->redirect));
	vdev_retarget_locked(res);
	spin_unlock_irqrestore(&res->lock, flags);
	vdev_genl_notify_focus(res);
}

struct vdev_res *vdev_res_find(u32 id)
{
	struct vdev_res *res;

	lockdep_assert_held(&vdev_mutex);
	list_for_each_entry(res, &vdev_resources, node)
		if (res->id == id)
			return res;
	return NULL;
}

struct vdev *vdev_find(struct vdev_res *res, struct vdev_container *ctr)
{
	struct vdev *vdev;

	lockdep_assert_held(&vdev_mutex);
	list_for_each_entry(vdev, &res->vdevs, res_node)
		if (vdev->ctr == ctr)
			return vdev;
	return NULL;
}

int vdev_create(struct vdev_container *ctr, struct vdev_res *res, const char *name,
		struct vdev **ret_vdev)
{
	struct vdev *vdev;
	unsigned long flags;
	int err;

	lockdep_assert_held(&vdev_mutex);
	if (vdev_find(res, ctr))
		return -EEXIST;
	list_for_each_entry(vdev, &vdev_all, node)
		if (vdev->ctr == ctr && !strcmp(vdev->name, name))
			return -EEXIST;

	vdev = kzalloc(sizeof(*vdev), GFP_KERNEL);
	if (!vdev)
		return -ENOMEM;
	kref_get(&ctr->ref);
	vdev->ctr = ctr;
	kref_get(&res->ref);
	vdev->res = res;
	strscpy(vdev->name, name, sizeof(vdev->name));
	spin_lock_init(&vdev->ring_lock);
	init_waitqueue_head(&vdev->wait);
	INIT_LIST_HEAD(&vdev->res_node);

	/* From here on the device's release frees everything, on error too. */
	err = vdev_cdev_add(vdev);
	if (err)
		return err;

	spin_lock_irqsave(&res->lock, flags);
	list_add_tail(&vdev->res_node, &res->vdevs);
	spin_unlock_irqrestore(&res->lock, flags);
	list_add_tail(&vdev->node, &vdev_all);
	vdev_generation++;
	*ret_vdev = vdev;
	return 0;
}

void vdev_destroy(struct vdev *vdev)
{
	struct vdev_res *res = vdev->res;
	unsigned long flags;
	bool changed;

	lockdep_assert_held(&vdev_mutex);
	spin_lock_irqsave(&res->lock, flags);
	list_del_init(&vdev->res_node);
	if (res->focus == vdev)
		res->focus = NULL;
	changed = vdev_retarget_locked(res);
	spin_unlock_irqrestore(&res->lock, flags);

	list_del(&vdev->node);
	vdev_generation++;
	/* No event path can reach it now; readers get -ENODEV once the ring is empty. */
	vdev_cdev_del(vdev);
	if (changed)
		vdev_genl_notify_focus(res);
}

int vdev_container_unregister(struct vdev_container *ctr)
{
	struct vdev *vdev, *tmp;

	lockdep_assert_held(&vdev_mutex);
	list_for_each_entry_safe(vdev, tmp, &vdev_all, node)
		if (vdev->ctr == ctr)
			vdev_destroy(vdev);
	/* A redirect must not follow the name to a later container of the same name. */
	list_for_each_entry(vdev, &vdev_all, node)
		if (!strcmp(vdev->redirect, ctr->name))
			vdev_set_bar(vdev, vdev->barred, NULL);

	list_del(&ctr->node);
	vdev_generation++;
	vdev_container_put(ctr);
	return 0;
}

static void vdev_res_release(struct kref *ref)
{
	kfree(container_of(ref, struct vdev_res, ref));
}

void vdev_res_put(struct vdev_res *res)
{
	kref_put(&res->ref, vdev_res_release);
}

void vdev_res_added(struct vdev_res *res)
{
	mutex_lock(&vdev_mutex);
	res->id = ++vdev_next_res_id;
	list_add_tail(&res->node, &vdev_resources);
	vdev_generation++;
	vdev_genl_notify_res(res, CTR_VDEV_CMD_RESOURCE_ADDED);
	mutex_unlock(&vdev_mutex);
}

void vdev_res_removed(struct vdev_res *res)
{
	struct vdev *vdev, *tmp;

	mutex_lock(&vdev_mutex);
	list_for_each_entry_safe(vdev, tmp, &res->vdevs, res_node)
		vdev_destroy(vdev);
	list_del(&res->node);
	vdev_generation++;
	vdev_genl_notify_res(res, CTR_VDEV_CMD_RESOURCE_REMOVED);
	mutex_unlock(&vdev_mutex);
}

static void vdev_containers_free(void)
{
	struct vdev_container *ctr, *tmp;

	mutex_lock(&vdev_mutex);
	list_for_each_entry_safe(ctr, tmp, &vdev_containers, node)
		vdev_container_unregister(ctr);
	mutex_unlock(&vdev_mutex);
}

static int __init vdev_init(void)
{
	int err;

	err = vdev_cdev_init();
	if (err)
		return err;
	err = vdev_genl_init();
	if (err)
		goto out_cdev_exit;
	/* Last: connecting to input devices sends notifications on the family. */
	err = vdev_input_init();
	if (err)
		goto out_genl_exit;
	return 0;

out_genl_exit:
	vdev_genl_exit();
out_cdev_exit:
	vdev_cdev_exit();
	return err;
}

/*
 * Open device files pin the module (fops.owner), so nothing is open here.  Disconnecting the
 * input handler destroys every device; the family goes next so no request can recreate one.
 */
static void __exit vdev_exit(void)
{
	vdev_input_exit();
	vdev_genl_exit();
	vdev_containers_free();
	vdev_cdev_exit();
}

module_init(vdev_init);
module_exit(vdev_exit);

MODULE_DESCRIPTION("ctr-ipc virtual input devices for containers");
MODULE_AUTHOR("ctr-ipc project");
MODULE_LICENSE("GPL");
MODULE_ALIAS_GENL_FAMILY(CTR_VDEV_GENL_NAME);
