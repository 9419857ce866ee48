/*
 * The table of the plan's ops: for each op of src/plan/steps.ts, its fields in the order
 * stepFields() in src/plan/encode.ts writes them (decode.c reads them by this table), and
 * the step function that runs it. A new op needs a line here, or the plan it appears in
 * fails with "unknown step" (and test/unit/init-check-plan.test.ts fails first).
 *
 * Field names are the Step's property names, so `ts-runc-init --check-plan` can show them
 * side by side with the TypeScript object.
 */
#include "init.h"

/* v[i] is the i-th field of the op's entry below; the casts are the C types of the step. */
static int run_set_root_propagation(const struct value *v)
{
	return step_set_root_propagation(v[0].num);
}

static int run_bind_rootfs(const struct value *v)
{
	return step_bind_rootfs(v[0].str);
}

static int run_mount(const struct value *v)
{
	return step_mount(v[0].str, v[1].str, v[2].str, v[3].num, v[4].ints, v[4].count, v[5].str, v[6].str);
}

static int run_mount_copy_up(const struct value *v)
{
	return step_mount_copy_up(v[0].str, v[1].str, v[2].num, v[3].ints, v[3].count, v[4].str);
}

static int run_mount_setattr(const struct value *v)
{
	return step_mount_setattr(v[0].str, v[1].num, v[2].num);
}

static int run_remount_readonly(const struct value *v)
{
	return step_remount_readonly(v[0].str, v[1].num);
}

static int run_mkdir(const struct value *v)
{
	return step_mkdir(v[0].str, (mode_t)v[1].num);
}

static int run_mknod(const struct value *v)
{
	return step_mknod(v[0].str, v[1].str, (unsigned)v[2].num, (unsigned)v[3].num, (mode_t)v[4].num,
			  (uid_t)v[5].num, (gid_t)v[6].num);
}

static int run_symlink(const struct value *v)
{
	return step_symlink(v[0].str, v[1].str);
}

static int run_pivot_root(const struct value *v)
{
	(void)v;
	return step_pivot_root();
}

static int run_chroot(const struct value *v)
{
	return step_chroot(v[0].str);
}

static int run_lookup_home(const struct value *v)
{
	return step_lookup_home(v[0].num);
}

static int run_close_fds(const struct value *v)
{
	(void)v;
	return step_close_fds();
}

static int run_move_root(const struct value *v)
{
	(void)v;
	return step_move_root();
}

static int run_mask_path(const struct value *v)
{
	return step_mask_path(v[0].str);
}

static int run_readonly_path(const struct value *v)
{
	return step_readonly_path(v[0].str);
}

static int run_remount_root_readonly(const struct value *v)
{
	(void)v;
	return step_remount_root_readonly();
}

static int run_sethostname(const struct value *v)
{
	return step_sethostname(v[0].str);
}

static int run_setdomainname(const struct value *v)
{
	return step_setdomainname(v[0].str);
}

static int run_sysctl(const struct value *v)
{
	return step_sysctl(v[0].str, v[1].str);
}

static int run_setrlimit(const struct value *v)
{
	return step_setrlimit(v[0].str, v[1].u64, v[2].u64);
}

static int run_join_session_keyring(const struct value *v)
{
	return step_join_session_keyring(v[0].str);
}

static int run_terminal(const struct value *v)
{
	return step_terminal((unsigned)v[0].num, (unsigned)v[1].num);
}

static int run_run_hook(const struct value *v)
{
	return step_run_hook(v[0].str, v[1].str, v[2].strs, v[3].strs, v[4].num, v[5].str);
}

static int run_drop_bounding_caps(const struct value *v)
{
	return step_drop_bounding_caps(v[0].caps);
}

static int run_switch_user(const struct value *v)
{
	gid_t *groups = calloc(v[2].count + 1, sizeof *groups);
	if (!groups)
		abort();
	for (uint32_t i = 0; i < v[2].count; i++)
		groups[i] = v[2].ints[i];
	return step_switch_user((uid_t)v[0].num, (gid_t)v[1].num, groups, v[2].count);
}

static int run_set_capabilities(const struct value *v)
{
	return step_set_capabilities(v[0].caps, v[1].caps, v[2].caps, v[3].caps);
}

static int run_umask(const struct value *v)
{
	return step_umask((mode_t)v[0].num);
}

static int run_chdir(const struct value *v)
{
	return step_chdir(v[0].str);
}

static int run_chdir_as_user(const struct value *v)
{
	return step_chdir_as_user(v[0].str);
}

static int run_no_new_privileges(const struct value *v)
{
	(void)v;
	return step_no_new_privileges();
}

static int run_seccomp(const struct value *v)
{
	return step_seccomp(v[0].str, (unsigned)v[1].num);
}

static int run_find_executable(const struct value *v)
{
	return step_find_executable(v[0].str, v[1].strs);
}

static int run_wait_for_start(const struct value *v)
{
	(void)v;
	return step_wait_for_start();
}

static int run_run_runtime_hooks(const struct value *v)
{
	(void)v;
	return step_run_runtime_hooks();
}

static int run_exec(const struct value *v)
{
	return step_exec(v[0].str, v[1].strs, v[2].strs);
}

#define S(name) { name, FIELD_STR }
#define I(name) { name, FIELD_INT }
#define U64(name) { name, FIELD_U64 }
#define STRS(name) { name, FIELD_STR_LIST }
#define INTS(name) { name, FIELD_INT_LIST }
#define CAPS(name) { name, FIELD_CAP_LIST }

const struct op ops[] = {
	{ "set-root-propagation", { I("propagation") }, run_set_root_propagation },
	{ "bind-rootfs", { S("rootfs") }, run_bind_rootfs },
	{ "mount", { S("source"), S("target"), S("fstype"), I("flags"), INTS("propagation"), S("data"), S("create") },
	  run_mount },
	{ "mount-copy-up", { S("target"), S("fstype"), I("flags"), INTS("propagation"), S("data") },
	  run_mount_copy_up },
	{ "mount-setattr", { S("target"), I("set"), I("clear") }, run_mount_setattr },
	{ "remount-readonly", { S("target"), I("flags") }, run_remount_readonly },
	{ "mkdir", { S("path"), I("mode") }, run_mkdir },
	{ "mknod", { S("path"), S("type"), I("major"), I("minor"), I("mode"), I("uid"), I("gid") }, run_mknod },
	{ "symlink", { S("target"), S("path") }, run_symlink },
	{ "pivot-root", { { 0 } }, run_pivot_root },
	{ "chroot", { S("rootfs") }, run_chroot },
	{ "lookup-home", { I("uid") }, run_lookup_home },
	{ "close-fds", { { 0 } }, run_close_fds },
	{ "move-root", { { 0 } }, run_move_root },
	{ "mask-path", { S("path") }, run_mask_path },
	{ "readonly-path", { S("path") }, run_readonly_path },
	{ "remount-root-readonly", { { 0 } }, run_remount_root_readonly },
	{ "sethostname", { S("name") }, run_sethostname },
	{ "setdomainname", { S("name") }, run_setdomainname },
	{ "sysctl", { S("key"), S("value") }, run_sysctl },
	{ "setrlimit", { S("resource"), U64("soft"), U64("hard") }, run_setrlimit },
	{ "join-session-keyring", { S("name") }, run_join_session_keyring },
	{ "terminal", { I("width"), I("height") }, run_terminal },
	{ "run-hook", { S("name"), S("path"), STRS("args"), STRS("env"), I("timeout"), S("state") }, run_run_hook },
	{ "drop-bounding-caps", { CAPS("keep") }, run_drop_bounding_caps },
	{ "switch-user", { I("uid"), I("gid"), INTS("additionalGids") }, run_switch_user },
	{ "set-capabilities", { CAPS("effective"), CAPS("permitted"), CAPS("inheritable"), CAPS("ambient") },
	  run_set_capabilities },
	{ "umask", { I("mask") }, run_umask },
	{ "chdir", { S("path") }, run_chdir },
	{ "chdir-as-user", { S("path") }, run_chdir_as_user },
	{ "no-new-privileges", { { 0 } }, run_no_new_privileges },
	{ "seccomp", { S("program"), I("flags") }, run_seccomp },
	{ "find-executable", { S("path"), STRS("env") }, run_find_executable },
	{ "wait-for-start", { { 0 } }, run_wait_for_start },
	{ "run-runtime-hooks", { { 0 } }, run_run_runtime_hooks },
	{ "exec", { S("path"), STRS("args"), STRS("env") }, run_exec },
};
const size_t nops = sizeof ops / sizeof ops[0];

const struct op *find_op(const char *name)
{
	for (size_t i = 0; i < nops; i++)
		if (!strcmp(ops[i].name, name))
			return &ops[i];
	return NULL;
}

/* Decode and run each step in order; the first failure is reported as ERROR [index, op]. */
__attribute__((noreturn))
void run_plan(const struct fields *steps, uint32_t nsteps)
{
	for (uint32_t i = 0; i < nsteps; i++) {
		const char *name = steps[i].item[0];
		const struct op *op;
		struct value v[MAX_STEP_FIELDS];
		/* The duration goes to the log pipe only (--debug, `explain --trace`): one
		 * clock_gettime(2) pair per step, through the vDSO, when someone listens. */
		long long started = log_fd >= 0 ? monotonic_ns() : 0;
		debug_log("step %u %d start", i, getpid());
		if (decode_step(&steps[i], &op, v) < 0 || op->run(v) < 0) {
			debug_log("step %u %d failed after %lld ns: %s", i, getpid(), monotonic_ns() - started, failure.message);
			report_and_exit(i, name);
		}
		debug_log("step %u %d done in %lld ns", i, getpid(), monotonic_ns() - started);
	}
	fail(EINVAL, "the plan ended without an exec step");
	report_and_exit(nsteps, "plan");
}
