// SPDX-License-Identifier: GPL-2.0
/*
 * ctr_vdev input handler: every real input device with keys, axes or switches becomes a
 * resource; its events go to the resource's current target device, never to anyone else.
 */
#include <linux/input.h>
#include <linux/slab.h>
#include "ctr_vdev.h"

/* A key-up or repeat for a key the device never got down is stale: it is not delivered. */
static bool vdev_key_stale(const struct vdev *vdev, const struct input_value *v)
{
	return v->code < KEY_CNT && v->value != 1 && !test_bit(v->code, vdev->keys);
}

/*
 * Queue one packet (events up to and including SYN_REPORT) on @vdev.  A packet whose only
 * key events are stale is dropped whole, so the device does not even see its MSC_SCAN and
 * SYN_REPORT.  Called with res->lock and vdev->ring_lock held; returns the records queued.
 */
static unsigned int vdev_deliver_packet(struct vdev_res *res, struct vdev *vdev,
					const struct input_value *vals, unsigned int n, u64 now)
{
	unsigned int i, kept = 0, stale = 0, queued = 0;

	for (i = 0; i < n; i++) {
		if (vals[i].type == EV_KEY) {
			if (vdev_key_stale(vdev, &vals[i]))
				stale++;
			else
				kept++;
		} else if (vals[i].type != EV_SYN && vals[i].type != EV_MSC) {
			kept++;
		}
	}
	if (stale && !kept) {
		res->stats.dropped += n;
		return 0;
	}

	for (i = 0; i < n; i++) {
		const struct input_value *v = &vals[i];

		if (v->type == EV_KEY && v->code < KEY_CNT) {
			if (stale && vdev_key_stale(vdev, v)) {
				res->stats.dropped++;
				continue;
			}
			if (v->value == 1)
				__set_bit(v->code, vdev->keys);
			else if (v->value == 0)
				__clear_bit(v->code, vdev->keys);
		}
		vdev_ring_push(vdev, now, v->type, v->code, v->value);
		queued++;
	}
	return queued;
}

/* Input core context: dev->event_lock held, interrupts off. */
static void vdev_input_events(struct input_handle *handle, const struct input_value *vals,
			      unsigned int count)
{
	struct vdev_res *res = handle->private;
	u64 now = ktime_to_ns(input_get_timestamp(handle->dev)[INPUT_CLK_MONO]);
	unsigned int start = 0, queued = 0, i;
	struct vdev *vdev;

	spin_lock(&res->lock);
	res->stats.events_in += count;
	vdev = res->target;
	if (!vdev) {
		res->stats.dropped += count;
		goto out_unlock;
	}

	spin_lock(&vdev->ring_lock);
	for (i = 0; i < count; i++) {
		bool report = vals[i].type == EV_SYN && vals[i].code == SYN_REPORT;

		if (!report && i + 1 < count)
			continue;
		queued += vdev_deliver_packet(res, vdev, vals + start, i + 1 - start, now);
		start = i + 1;
	}
	if (res->target_redirected)
		vdev->stats.redirected += queued;
	spin_unlock(&vdev->ring_lock);

	res->stats.delivered += queued;
	if (res->target_redirected)
		res->stats.redirected += queued;
	if (queued)
		vdev_ring_wake(vdev);
out_unlock:
	spin_unlock(&res->lock);
}

/* Send key-ups for every key @vdev holds, then SYN_REPORT.  Called with res->lock held. */
void vdev_release_keys(struct vdev *vdev, u64 now)
{
	unsigned int code, n = 0;

	spin_lock(&vdev->ring_lock);
	for_each_set_bit(code, vdev->keys, KEY_CNT) {
		vdev_ring_push(vdev, now, EV_KEY, code, 0);
		n++;
	}
	if (n) {
		vdev_ring_push(vdev, now, EV_SYN, SYN_REPORT, 0);
		bitmap_zero(vdev->keys, KEY_CNT);
	}
	spin_unlock(&vdev->ring_lock);
	if (n)
		vdev_ring_wake(vdev);
}

static int vdev_input_connect(struct input_handler *handler, struct input_dev *dev,
			      const struct input_device_id *id)
{
	struct vdev_res *res;
	int err;

	res = kzalloc(sizeof(*res), GFP_KERNEL);
	if (!res)
		return -ENOMEM;
	kref_init(&res->ref);
	mutex_init(&res->io_lock);
	spin_lock_init(&res->lock);
	INIT_LIST_HEAD(&res->vdevs);
	strscpy(res->name, dev->name ? dev->name : "", sizeof(res->name));
	strscpy(res->phys, dev->phys ? dev->phys : "", sizeof(res->phys));
	res->evbits = (u32)dev->evbit[0];

	res->handle.dev = input_get_device(dev);
	res->handle.name = "ctr_vdev";
	res->handle.handler = handler;
	res->handle.private = res;

	err = input_register_handle(&res->handle);
	if (err)
		goto out_put_dev;
	/* Shared, not grabbed: evdev and the console keep working. */
	err = input_open_device(&res->handle);
	if (err)
		goto out_unregister_handle;

	vdev_res_added(res);
	return 0;

out_unregister_handle:
	input_unregister_handle(&res->handle);
out_put_dev:
	input_put_device(dev);
	vdev_res_put(res);
	return err;
}

static void vdev_input_disconnect(struct input_handle *handle)
{
	struct vdev_res *res = handle->private;

	/* No write() may inject through the handle from here on. */
	mutex_lock(&res->io_lock);
	res->gone = true;
	mutex_unlock(&res->io_lock);

	vdev_res_removed(res);
	input_close_device(handle);
	input_unregister_handle(handle);
	input_put_device(handle->dev);
	vdev_res_put(res);
}

static const struct input_device_id vdev_input_ids[] = {
	{ .flags = INPUT_DEVICE_ID_MATCH_EVBIT, .evbit = { BIT_MASK(EV_KEY) } },
	{ .flags = INPUT_DEVICE_ID_MATCH_EVBIT, .evbit = { BIT_MASK(EV_REL) } },
	{ .flags = INPUT_DEVICE_ID_MATCH_EVBIT, .evbit = { BIT_MASK(EV_ABS) } },
	{ .flags = INPUT_DEVICE_ID_MATCH_EVBIT, .evbit = { BIT_MASK(EV_SW) } },
	{ }
};

static struct input_handler vdev_input_handler = {
	.events = vdev_input_events,
	.connect = vdev_input_connect,
	.disconnect = vdev_input_disconnect,
	.name = "ctr_vdev",
	.id_table = vdev_input_ids,
};

int vdev_input_init(void)
{
	return input_register_handler(&vdev_input_handler);
}

void vdev_input_exit(void)
{
	input_unregister_handler(&vdev_input_handler);
}
