/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctr_vdev internals: containers, resources (connected input devices) and the virtual devices
 * that join them, plus the routing state that decides who receives a resource's events.
 */
#ifndef CTR_VDEV_INTERNAL_H
#define CTR_VDEV_INTERNAL_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/input.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pid_namespace.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/ctr_vdev.h>

#define VDEV_MINORS 256

/* A registered container: a name and the pid namespace its processes live in. */
struct vdev_container {
	struct list_head node;		/* vdev_containers, under vdev_mutex */
	struct kref ref;		/* list membership + one per vdev */
	struct pid_namespace *pid_ns;
	char name[CTR_VDEV_NAME_MAX];
};

struct vdev_res_stats {
	u64 events_in;
	u64 delivered;
	u64 dropped;
	u64 redirected;
	u64 refused_writes;
};

/* A resource: one real input device the handler is connected to. */
struct vdev_res {
	struct input_handle handle;
	struct list_head node;		/* vdev_resources, under vdev_mutex */
	struct kref ref;		/* handle connection + one per vdev */
	u32 id;
	u32 evbits;
	char name[64];
	char phys[64];

	/* Serialises write() injection against disconnect. */
	struct mutex io_lock;
	bool gone;			/* under io_lock */

	/*
	 * Routing state, taken in the input core's atomic event path: the vdev list (most recently
	 * focused first), focus, target, every vdev's key bitmap and the counters.  Changed only
	 * with vdev_mutex held as well, so configuration code may read it under vdev_mutex alone.
	 */
	spinlock_t lock;
	struct list_head vdevs;
	struct vdev *focus;
	struct vdev *target;
	bool target_redirected;
	struct vdev_res_stats stats;
};

struct vdev_stats {
	u64 delivered;
	u64 dropped;
	u64 redirected;
	u64 refused_writes;
};

/* A virtual device: what one container sees of one resource. */
struct vdev {
	struct device dev;		/* owns the memory: release frees */
	struct cdev cdev;
	struct list_head node;		/* vdev_all, under vdev_mutex */
	struct list_head res_node;	/* res->vdevs, under vdev_mutex + res->lock */
	struct vdev_container *ctr;
	struct vdev_res *res;
	char name[CTR_VDEV_NAME_MAX];

	/* Under res->lock (and vdev_mutex to change). */
	bool barred;
	bool ever_focused;
	char redirect[CTR_VDEV_NAME_MAX];
	unsigned long keys[BITS_TO_LONGS(KEY_CNT)];	/* keys delivered down */

	/* The ring, under ring_lock; nests inside res->lock. */
	spinlock_t ring_lock;
	wait_queue_head_t wait;
	unsigned int head, tail;	/* free-running; head - tail = queued */
	unsigned int openers;
	bool dead;
	struct vdev_stats stats;
	struct ctr_vdev_event ring[CTR_VDEV_RING_LEN];
};

/* ctr_vdev_main.c: registry and routing */
extern struct mutex vdev_mutex;
extern struct list_head vdev_resources;
extern struct list_head vdev_all;
extern unsigned int vdev_generation;

bool vdev_name_valid(const char *name);
struct vdev_container *vdev_container_find(const char *name);
int vdev_container_register(const char *name, struct pid_namespace *pid_ns);
int vdev_container_unregister(struct vdev_container *ctr);
struct vdev_res *vdev_res_find(u32 id);
struct vdev *vdev_find(struct vdev_res *res, struct vdev_container *ctr);
int vdev_create(struct vdev_container *ctr, struct vdev_res *res, const char *name,
		struct vdev **ret_vdev);
void vdev_destroy(struct vdev *vdev);
void vdev_set_focus(struct vdev_res *res, struct vdev *vdev);
void vdev_set_bar(struct vdev *vdev, bool barred, const char *redirect);
void vdev_res_added(struct vdev_res *res);
void vdev_res_removed(struct vdev_res *res);
void vdev_res_put(struct vdev_res *res);
void vdev_container_put(struct vdev_container *ctr);

/* ctr_vdev_input.c: the input handler */
int vdev_input_init(void);
void vdev_input_exit(void);
void vdev_release_keys(struct vdev *vdev, u64 now);

/* ctr_vdev_cdev.c: the character devices */
int vdev_cdev_init(void);
void vdev_cdev_exit(void);
int vdev_cdev_add(struct vdev *vdev);
void vdev_cdev_del(struct vdev *vdev);
bool vdev_ring_push(struct vdev *vdev, u64 time_ns, u16 type, u16 code, s32 value);
void vdev_ring_wake(struct vdev *vdev);

/* ctr_vdev_genl.c: the generic netlink family */
int vdev_genl_init(void);
void vdev_genl_exit(void);
void vdev_genl_notify_res(struct vdev_res *res, u8 cmd);
void vdev_genl_notify_focus(struct vdev_res *res);

#endif /* CTR_VDEV_INTERNAL_H */
