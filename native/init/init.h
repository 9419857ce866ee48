/*
 * What the files of ts-runc-init share: the process-wide state, the protocol, the plan's
 * table of ops, and one prototype per step. main.c has the overview of the two stages;
 * each step family has its file (mounts.c, pivot-root.c, capabilities.c...), and
 * steps.c maps every op of src/plan/steps.ts to its decoder and step function.
 */
#ifndef TSRUNC_INIT_H
#define TSRUNC_INIT_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>


#include "sealed-exe.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Message types of the sync protocol (src/process/protocol.ts). */
enum {
	MSG_CONFIG = 1, MSG_PID = 2, MSG_PLAN = 3, MSG_READY = 4, MSG_ERROR = 5,
	MSG_SECCOMP = 6, MSG_SECCOMP_DONE = 7, MSG_HOOKS = 8, MSG_RESUME = 9,
};

/* ERROR messages about work done before the plan's first step use this step index. */
#define BEFORE_PLAN (-1)

/* ======================================================================================
 * Process-wide state (defined in main.c)
 * ==================================================================================== */

extern int sync_fd;        /* the socketpair to Node ($TSRUNC_SYNC_FD) */
extern int report_fd;      /* where ERROR goes: sync_fd, then the report FIFO */
extern int console_fd;     /* connected console socket, for the `terminal` step */
extern int start_fifo_fd;  /* start.fifo, read by `wait-for-start` (open_fifo in stage0.c) */
extern int report_fifo_fd; /* report.fifo: EOF at execve(2), or an ERROR, for `start` */
extern bool in_user_namespace;  /* stage 0 created or joined one */
extern int mount_sources_fd; /* stage 1's end of the mount sources socketpair, or -1 */

/* What CONFIG asked for. */
struct init_config {
	unsigned long clone_flags;
	bool foreground;
	const char *console_socket;
	const char *start_fifo;  /* paths of the create/start barrier's FIFOs, or "" */
	const char *report_fifo;
	int preserve_fds;
	int netlink_fd; /* socketpair end to send the new netns's netlink socket on, or -1 */
	bool loopback_up; /* bring lo up in the new network namespace (stage1.c) */
	const char **mount_sources; /* bind sources stage 0 opens for stage 1 (mount-sources.c) */
	int nmount_sources;
	const char **cgroup_join;   /* v1 `tasks` files stage 0 moves itself into (cgroups.c) */
	int ncgroup_join;
	const char **cgroup_return; /* v1 `tasks` files of its own cgroups, to go back to */
	int ncgroup_return;
	const char *cgroup_into;    /* cgroup2 directory for CLONE_INTO_CGROUP, or "" */
	struct {
		int flag; /* CLONE_NEW* */
		const char *path;
	} join[16];
	int njoin;
};
extern struct init_config config;

/*
 * Where container paths are resolved. Before `bind-rootfs` and after `pivot-root` it is
 * the process's own root (plain paths); in between it is an O_PATH fd on the rootfs and
 * paths are resolved with openat2(RESOLVE_IN_ROOT) so that a symlink in the image can
 * never make a mount land outside the rootfs.
 */
extern int root_fd;
extern uint64_t root_resolve;
extern const char *rootfs_path;

/* HOME=<dir> for the exec step, when the process's environment has none (lookup-home). */
extern char *default_home;

/* The pty slave the terminal step made our stdio (its st_rdev), or 0: switch-user gives it
 * to the container's user. */
extern dev_t terminal_rdev;

/* ======================================================================================
 * Failure reporting and the protocol (protocol.c)
 * ==================================================================================== */

/* Why the current step failed. Steps fill it with fail()/fail_sys() and return -1; the
 * plan runner then sends it to Node as ERROR [index, op, errno, message]. */
struct failure {
	int err;
	char message[1024];
};
extern struct failure failure;

/* Record a failure with a message of our own. Returns -1 so a step can `return fail(...)`. */
__attribute__((format(printf, 2, 3))) int fail(int err, const char *fmt, ...);
/* Record a failed system call: "mount(proc, /proc): Operation not permitted". */
__attribute__((format(printf, 2, 3))) int fail_sys(int err, const char *fmt, ...);

int write_full(int fd, const void *buf, size_t len);
int send_message(int fd, uint32_t type, const char *const fields[], int nfields);
uint8_t *read_message(int fd, uint32_t want, uint32_t *len);
__attribute__((noreturn)) void report_and_exit(long index, const char *op);

/* A list of NUL-terminated strings: a CONFIG message, or one plan step. */
struct fields {
	uint32_t count;
	char **item;
};
int decode_fields(const uint8_t **at, const uint8_t *end, struct fields *out);
int decode_plan(const uint8_t *payload, uint32_t len, struct fields **steps, uint32_t *nsteps);

/* ======================================================================================
 * The plan's ops (steps.c), their fields (decode.c) and --check-plan (check-plan.c)
 * ==================================================================================== */

/* How a field is written by stepFields() in src/plan/encode.ts. */
enum field_kind {
	FIELD_STR,      /* text as it is */
	FIELD_INT,      /* decimal, may be negative */
	FIELD_U64,      /* decimal, unsigned 64-bit (rlimits) */
	FIELD_STR_LIST, /* a count, then one text field per item */
	FIELD_INT_LIST, /* a count, then one decimal field per item */
	FIELD_CAP_LIST, /* a list of capability numbers (capabilities(7)), read as a mask */
};

#define MAX_STEP_FIELDS 8

/* One field of a step, named as the property of the Step in src/plan/steps.ts. */
struct field_spec {
	const char *name; /* NULL after the last field */
	enum field_kind kind;
};

/* One decoded field; which member is set depends on its kind. */
struct value {
	const char *str;        /* FIELD_STR */
	long long num;          /* FIELD_INT */
	unsigned long long u64; /* FIELD_U64 */
	char **strs;            /* FIELD_STR_LIST, NULL-terminated as execve(2) wants */
	long long *ints;        /* FIELD_INT_LIST, `count` of them */
	uint32_t count;
	uint64_t caps;          /* FIELD_CAP_LIST */
};

/* An op of the plan: its name, its fields in wire order, and the step that runs it. */
struct op {
	const char *name;
	struct field_spec field[MAX_STEP_FIELDS];
	int (*run)(const struct value *v);
};

extern const struct op ops[];
extern const size_t nops;

const struct op *find_op(const char *name);
int decode_step(const struct fields *step, const struct op **op, struct value v[MAX_STEP_FIELDS]);
__attribute__((noreturn)) void run_plan(const struct fields *steps, uint32_t nsteps);
int check_plan(void);

/* ======================================================================================
 * Small helpers (helpers.c) and container paths (rootfs-paths.c)
 * ==================================================================================== */

const char *or_null(const char *text);
void reset_signals(void);
int write_file(const char *path, const char *value);

enum create { CREATE_NONE, CREATE_DIR, CREATE_FILE };

/*
 * The parent directory of a container path (created if missing) and the last component,
 * for the *at(2) calls that make a new entry: mknodat, symlinkat, openat(O_CREAT).
 */
struct parent {
	int fd;
	char path[PATH_MAX];
	const char *name;
};

/*
 * A mount target: an O_PATH fd on the resolved container path, and the name to give
 * mount(2). Inside the rootfs the name is "/proc/self/fd/N" (the host /proc is still
 * mounted), which makes mount(2) use exactly the directory openat2 found.
 *
 * Resolve again for every mount(2) call on the same path: once something is mounted there,
 * an fd opened before points *under* the new mount, not at it.
 */
struct target {
	int fd;
	char name[PATH_MAX];
};


#define LOCKED_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME)

int parent_open(struct parent *p, const char *path);
int target_open(struct target *t, const char *path, enum create create);
void target_close(struct target *t);
unsigned long mount_flags_of(int fd);

/* ======================================================================================
 * Steps: one function per op of src/plan/steps.ts. Each returns 0, or -1 after fail*().
 * ==================================================================================== */

/* mounts.c */
int step_set_root_propagation(unsigned long propagation);
int step_bind_rootfs(const char *rootfs);
int step_mount(const char *source, const char *target, const char *fstype,
	       unsigned long flags, const long long *propagation, uint32_t npropagation,
	       const char *data, const char *create);
int step_mount_copy_up(const char *target, const char *fstype, unsigned long flags,
		       const long long *propagation, uint32_t npropagation, const char *data);
int step_mount_setattr(const char *target, uint64_t set, uint64_t clear);
int step_remount_readonly(const char *target, unsigned long flags);
int step_mkdir(const char *path, mode_t mode);
int step_mknod(const char *path, const char *type, unsigned major, unsigned minor,
	       mode_t mode, uid_t uid, gid_t gid);
int step_symlink(const char *target, const char *path);
/* pivot-root.c */
int step_pivot_root(void);
int step_chroot(const char *rootfs);
int step_move_root(void);
/* masked-paths.c */
int step_mask_path(const char *path);
int step_readonly_path(const char *path);
int step_remount_root_readonly(void);
/* process-settings.c */
int step_sethostname(const char *name);
int step_setdomainname(const char *name);
int step_sysctl(const char *key, const char *value);
int step_setrlimit(const char *resource, unsigned long long soft, unsigned long long hard);
int step_join_session_keyring(const char *name);
int step_umask(mode_t mask);
int step_chdir(const char *path);
int step_chdir_as_user(const char *path);
/* mount-sources.c */
/* cgroups.c: joining the container's cgroups without cgroup_threadgroup_rwsem */
int open_cgroup_files(void);
int join_cgroups(void);
int leave_cgroups(void);
pid_t clone_into_cgroup(unsigned long flags, bool *into);
void close_cgroup_files(void);

int mount_sources_socketpair(int pair[2]);
int send_mount_sources(int sock, pid_t child);
int receive_mount_sources(int sock);
int mount_source_fd(const char *source);
void close_mount_sources(void);
/* terminal.c */
int send_fd(int sock, int fd, const char *name);
int step_terminal(unsigned width, unsigned height);
/* hooks.c */
int step_run_hook(const char *name, const char *path, char **argv, char **envp,
		  long long timeout, const char *state);
/* capabilities.c */
int step_drop_bounding_caps(uint64_t keep);
int step_set_capabilities(uint64_t effective, uint64_t permitted, uint64_t inheritable,
			  uint64_t ambient);
int step_no_new_privileges(void);
/* user.c */
int step_switch_user(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups);
int step_lookup_home(long long uid);
/* seccomp.c */
int step_seccomp(const char *hex, unsigned flags);
/* exec.c */
int step_wait_for_start(void);
int step_run_runtime_hooks(void);

/* debug-log.c: --debug lines to Node, when it gave a log fd; else one comparison. */
extern int log_fd;
void debug_log_open(void);
long long monotonic_ns(void);
void debug_log_write(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define debug_log(...)                           \
	do {                                     \
		if (log_fd >= 0)                 \
			debug_log_write(__VA_ARGS__); \
	} while (0)
int step_find_executable(const char *path, char **envp);
int step_close_fds(void);
int step_exec(const char *path, char **argv, char **envp);

/* ======================================================================================
 * The stages (stage0.c, stage1.c)
 * ==================================================================================== */

__attribute__((noreturn)) void stage0(void);
__attribute__((noreturn)) void container_main(void);

#endif
