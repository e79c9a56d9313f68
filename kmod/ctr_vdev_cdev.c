// SPDX-License-Identifier: GPL-2.0
/*
 * ctr_vdev character devices: /dev/ctr_vdev/CONTAINER/NAME.  Only the owning container may
 * open one; read() yields struct ctr_vdev_event records from a ring, write() sends LED and
 * sound records to the hardware while the container receives the resource's events.
 */
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include "ctr_vdev.h"

#define VDEV_RING_MASK (CTR_VDEV_RING_LEN - 1)
static_assert((CTR_VDEV_RING_LEN & VDEV_RING_MASK) == 0, "ring length must be a power of two");
static_assert(sizeof(struct ctr_vdev_event) == 16, "records are 16 bytes");

static dev_t vdev_devt;
static struct class *vdev_class;
static DEFINE_IDA(vdev_minors);

/*
 * Queue one record; called with vdev->ring_lock held.  On overflow the queued records are
 * discarded and replaced by a SYN_DROPPED marker, as evdev does, so the reader sees fresh
 * events after the marker rather than a stale backlog.
 */
bool vdev_ring_push(struct vdev *vdev, u64 time_ns, u16 type, u16 code, s32 value)
{
	unsigned int queued = vdev->head - vdev->tail;
	struct ctr_vdev_event *rec;
	bool overflow = false;

	lockdep_assert_held(&vdev->ring_lock);
	if (queued >= CTR_VDEV_RING_LEN) {
		vdev->stats.dropped += queued;
		vdev->tail = vdev->head;
		rec = &vdev->ring[vdev->head++ & VDEV_RING_MASK];
		*rec = (struct ctr_vdev_event){ .time_ns = time_ns, .type = CTR_VDEV_EV_SYN,
						.code = CTR_VDEV_SYN_DROPPED, .value = queued };
		overflow = true;
	}
	rec = &vdev->ring[vdev->head++ & VDEV_RING_MASK];
	*rec = (struct ctr_vdev_event){ .time_ns = time_ns, .type = type, .code = code,
					.value = value };
	vdev->stats.delivered++;
	return !overflow;
}

void vdev_ring_wake(struct vdev *vdev)
{
	wake_up_interruptible_poll(&vdev->wait, EPOLLIN | EPOLLRDNORM);
}

static bool vdev_readable(struct vdev *vdev)
{
	return READ_ONCE(vdev->head) != READ_ONCE(vdev->tail) || READ_ONCE(vdev->dead);
}

static int vdev_open(struct inode *inode, struct file *file)
{
	struct vdev *vdev = container_of(inode->i_cdev, struct vdev, cdev);
	int err = 0;

	/* The namespace decides, not the uid: root in another container is refused too. */
	if (task_active_pid_ns(current) != vdev->ctr->pid_ns)
		return -EPERM;

	get_device(&vdev->dev);
	spin_lock_irq(&vdev->ring_lock);
	if (vdev->dead)
		err = -ENODEV;
	else if (vdev->openers++ == 0)
		vdev->tail = vdev->head;	/* nobody read the backlog: it is stale */
	spin_unlock_irq(&vdev->ring_lock);
	if (err) {
		put_device(&vdev->dev);
		return err;
	}

	file->private_data = vdev;
	return stream_open(inode, file);
}

static int vdev_release(struct inode *inode, struct file *file)
{
	struct vdev *vdev = file->private_data;

	spin_lock_irq(&vdev->ring_lock);
	vdev->openers--;
	spin_unlock_irq(&vdev->ring_lock);
	put_device(&vdev->dev);
	return 0;
}

static ssize_t vdev_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	struct vdev *vdev = file->private_data;
	struct ctr_vdev_event batch[16];
	size_t max = count / sizeof(batch[0]);
	size_t done = 0, n;
	bool dead;
	int err;

	if (max == 0)
		return -EINVAL;

	for (;;) {
		n = 0;
		spin_lock_irq(&vdev->ring_lock);
		while (vdev->tail != vdev->head && n < ARRAY_SIZE(batch) && done + n < max)
			batch[n++] = vdev->ring[vdev->tail++ & VDEV_RING_MASK];
		dead = vdev->dead;
		spin_unlock_irq(&vdev->ring_lock);

		if (n) {
			if (copy_to_user(buf + done * sizeof(batch[0]), batch, n * sizeof(batch[0])))
				return -EFAULT;
			done += n;
			if (done < max)
				continue;
		}
		if (done)
			return done * sizeof(batch[0]);
		if (dead)
			return -ENODEV;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		err = wait_event_interruptible(vdev->wait, vdev_readable(vdev));
		if (err)
			return err;
	}
}

/* Inject one record toward the hardware if @vdev currently receives the resource's events. */
static int vdev_inject(struct vdev *vdev, const struct ctr_vdev_event *rec)
{
	struct vdev_res *res = vdev->res;
	bool allowed;
	int err = 0;

	mutex_lock(&res->io_lock);
	if (res->gone || READ_ONCE(vdev->dead)) {
		err = -ENODEV;
		goto out_unlock;
	}
	spin_lock_irq(&res->lock);
	allowed = res->target == vdev;
	if (!allowed) {
		res->stats.refused_writes++;
		vdev->stats.refused_writes++;
	}
	spin_unlock_irq(&res->lock);
	if (!allowed) {
		err = -EPERM;
		goto out_unlock;
	}
	input_inject_event(&res->handle, rec->type, rec->code, rec->value);
out_unlock:
	mutex_unlock(&res->io_lock);
	return err;
}

static ssize_t vdev_write(struct file *file, const char __user *buf, size_t count, loff_t *ppos)
{
	struct vdev *vdev = file->private_data;
	struct ctr_vdev_event rec;
	size_t done = 0;
	int err;

	if (count % sizeof(rec))
		return -EINVAL;

	for (; done < count; done += sizeof(rec)) {
		if (copy_from_user(&rec, buf + done, sizeof(rec))) {
			err = -EFAULT;
			goto out_partial;
		}
		if (rec.type != EV_LED && rec.type != EV_SND) {
			err = -EINVAL;
			goto out_partial;
		}
		err = vdev_inject(vdev, &rec);
		if (err)
			goto out_partial;
	}
	return done;

out_partial:
	return done ? done : err;
}

static __poll_t vdev_poll(struct file *file, poll_table *wait)
{
	struct vdev *vdev = file->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &vdev->wait, wait);
	if (READ_ONCE(vdev->head) != READ_ONCE(vdev->tail))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(vdev->dead))
		mask |= EPOLLHUP | EPOLLERR;
	return mask;
}

static const struct file_operations vdev_fops = {
	.owner = THIS_MODULE,	/* open files pin the module: rmmod gets EBUSY */
	.open = vdev_open,
	.release = vdev_release,
	.read = vdev_read,
	.write = vdev_write,
	.poll = vdev_poll,
	.llseek = no_llseek,
};

static void vdev_dev_release(struct device *dev)
{
	struct vdev *vdev = container_of(dev, struct vdev, dev);

	vdev_res_put(vdev->res);
	vdev_container_put(vdev->ctr);
	kfree(vdev);
}

/* On error the device's release has freed @vdev already. */
int vdev_cdev_add(struct vdev *vdev)
{
	int minor, err;

	device_initialize(&vdev->dev);
	vdev->dev.class = vdev_class;
	vdev->dev.release = vdev_dev_release;
	/* '!' becomes '/' in devtmpfs: /dev/ctr_vdev/CONTAINER/NAME */
	err = dev_set_name(&vdev->dev, "ctr_vdev!%s!%s", vdev->ctr->name, vdev->name);
	if (err)
		goto out_put_device;

	minor = ida_alloc_max(&vdev_minors, VDEV_MINORS - 1, GFP_KERNEL);
	if (minor < 0) {
		err = minor;
		goto out_put_device;
	}
	vdev->dev.devt = MKDEV(MAJOR(vdev_devt), minor);

	cdev_init(&vdev->cdev, &vdev_fops);
	vdev->cdev.owner = THIS_MODULE;
	err = cdev_device_add(&vdev->cdev, &vdev->dev);
	if (err)
		goto out_free_minor;
	return 0;

out_free_minor:
	ida_free(&vdev_minors, minor);
out_put_device:
	put_device(&vdev->dev);
	return err;
}

void vdev_cdev_del(struct vdev *vdev)
{
	spin_lock_irq(&vdev->ring_lock);
	vdev->dead = true;
	spin_unlock_irq(&vdev->ring_lock);
	wake_up_interruptible_poll(&vdev->wait, EPOLLHUP | EPOLLERR);

	cdev_device_del(&vdev->cdev, &vdev->dev);
	ida_free(&vdev_minors, MINOR(vdev->dev.devt));
	put_device(&vdev->dev);
}

int vdev_cdev_init(void)
{
	int err;

	err = alloc_chrdev_region(&vdev_devt, 0, VDEV_MINORS, "ctr_vdev");
	if (err)
		return err;
	vdev_class = class_create(THIS_MODULE, "ctr_vdev");
	if (IS_ERR(vdev_class)) {
		err = PTR_ERR(vdev_class);
		goto out_unregister_region;
	}
	return 0;

out_unregister_region:
	unregister_chrdev_region(vdev_devt, VDEV_MINORS);
	return err;
}

void vdev_cdev_exit(void)
{
	class_destroy(vdev_class);
	unregister_chrdev_region(vdev_devt, VDEV_MINORS);
	ida_destroy(&vdev_minors);
}
