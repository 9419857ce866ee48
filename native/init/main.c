/*
 * ts-runc-init: the part of ts-runc that has to be a small, single-threaded C program.
 *
 * Node is multithreaded, and the kernel refuses (or half-applies) namespace changes in a
 * multithreaded process: setns(2) into a user namespace and unshare(2) of one both fail
 * with EINVAL if the caller has more than one thread. So ts-runc (Node) decides *what* to
 * do, and this program does it, talking to Node over a socketpair (src/process/protocol.ts).
 *
 * There are two stages, one process each:
 *
 *   Stage 0  the process Node spawned, still in the host's namespaces.
 *            1. read CONFIG from the sync socket (fd $TSRUNC_SYNC_FD);
 *            2. connect to the console socket and make the barrier's two FIFOs
 *               (start.fifo, report.fifo); all are host paths, so this happens before
 *               any namespace changes;
 *            3. join the container's v1 cgroups itself ("0" to each tasks file), then
 *               setns(2) into the namespaces to join (user first);
 *            4. clone(2) the container process into the namespaces to create (clone3 into
 *               its cgroup2 directory), go back to its own cgroups, and send the child's
 *               pid to Node (PID);
 *            5. exit at once (create/detached), or stay to forward signals and exit with
 *               the container's status (run/exec in the foreground).
 *
 *   Stage 1  the clone child: the container's process 1 (or the exec'd process).
 *            0. in a new network namespace, open a NETLINK_ROUTE socket there and send it
 *               to Node (SCM_RIGHTS on the netlink-fd socketpair): Node sets the
 *               namespace up through it without ever calling setns(2) itself; or, when
 *               Node sets up nothing there, bring lo up (loopback-up);
 *            1. wait for PLAN: Node sends it once it has written uid_map/gid_map and put
 *               the pid in the cgroups stage 0 could not, so nothing below runs unmapped
 *               or unlimited;
 *            2. become root of the user namespace (if any) and create the cgroup
 *               namespace (if asked), both of which had to wait for that;
 *            3. run the plan's steps in order (mounts, pivot_root, hostname, rlimits,
 *               capabilities...), reporting the first failure as ERROR and exiting;
 *            4. at `wait-for-start` send READY and block in read(2) on start.fifo until
 *               `ts-runc start` writes a byte into it;
 *            5. execve(2) the user's program. All of this program's fds are close-on-exec,
 *               so Node (or `start`, on report.fifo) sees EOF exactly when execve
 *               succeeded.
 *
 * The field order of every step is defined in src/plan/encode.ts and mirrored by the
 * table of ops in steps.c; what each step means is documented in src/plan/steps.ts.
 * Where each part lives (init.h lists them all):
 *
 *   main.c              this overview, the process-wide state, main()
 *   stage0.c            CONFIG, the host sockets and FIFOs, setns(2), clone(2), signals
 *   cgroups.c           stage 0 joining the container's cgroups itself, clone3 into cgroup2
 *   stage1.c            the container process up to the plan (lo up, when Node does not)
 *   protocol.c          message framing, field lists, ERROR reports
 *   steps.c, decode.c   the table from op name to fields and step function, the decoder
 *   check-plan.c        --check-plan: decode a plan from stdin and print it, run nothing
 *   rootfs-paths.c      openat2(2) RESOLVE_IN_ROOT: container paths inside the rootfs
 *   mounts.c            mount, mount-copy-up, mkdir, mknod, symlink, the rootfs bind
 *   mount-sources.c     bind sources opened by stage 0, outside the user namespace
 *   pivot-root.c        pivot_root(2), and move-root and chroot where it cannot be used
 *   masked-paths.c      masked and read-only paths, the read-only root
 *   process-settings.c  hostname, sysctls, rlimits, keyring, umask, cwd
 *   capabilities.c      bounding set, capset(2), ambient set, no_new_privs
 *   user.c              switch-user, HOME from /etc/passwd
 *   terminal.c, hooks.c the console pty, OCI hooks
 *   seccomp.c           loading the BPF filter
 *   exec.c              the start barrier, close-fds, finding the program, execve(2)
 *   helpers.c           or_null, write_file, reset_signals
 *   sealed-exe.c        the re-exec from a sealed memfd copy (CVE-2019-5736)
 *
 * Build: `make native`: cc -O2 -Wall -Wextra -Werror -std=gnu11 on every .c file here.
 */
#include "init.h"

/* The process-wide state; init.h says what each is for. */
int sync_fd = -1;
int report_fd = -1;
int console_fd = -1;
int start_fifo_fd = -1;
int report_fifo_fd = -1;
bool in_user_namespace;
int mount_sources_fd = -1;
struct init_config config;
int root_fd = AT_FDCWD;
uint64_t root_resolve = 0;
const char *rootfs_path = NULL;

int main(int argc, char **argv)
{
	/* Decoding a plan touches no kernel state and starts no container: no process that
	 * could reach /proc/<pid>/exe ever exists, so the sealed copy (a memfd the size of
	 * this binary, and a re-exec) would only slow the unit test that uses this down. */
	if (argc == 2 && !strcmp(argv[1], "--check-plan"))
		return check_plan();
	/* First of all, before any container can see this process: run from a sealed copy of
	 * this binary, so /proc/<pid>/exe never leads to the host's file (sealed-exe.c). */
	if (run_from_sealed_copy(argv) < 0)
		return 1;
	/* Not dumpable (as runc's nsexec) until the user's program is exec'd: the /proc/<pid>
	 * links, environ and mem of an exec'd process or of a created container's process 1
	 * (host fds, no seccomp filter yet) then need CAP_SYS_PTRACE in the host's user
	 * namespace (ptrace(2) "Ptrace access mode checking"). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		dprintf(STDERR_FILENO, "ts-runc-init: prctl(PR_SET_DUMPABLE, 0): %s\n", strerror(errno));
		return 1;
	}
	const char *fd_text = getenv("TSRUNC_SYNC_FD");
	if (!fd_text) {
		dprintf(STDERR_FILENO, "ts-runc-init: TSRUNC_SYNC_FD is not set; ts-runc starts this program\n");
		return 1;
	}
	sync_fd = report_fd = atoi(fd_text);
	/* The container must not inherit it: its EOF is how Node learns that execve worked. */
	if (fcntl(sync_fd, F_SETFD, FD_CLOEXEC) < 0) {
		dprintf(STDERR_FILENO, "ts-runc-init: TSRUNC_SYNC_FD=%s: %s\n", fd_text, strerror(errno));
		return 1;
	}
	debug_log_open();
	debug_log("ts-runc-init[%d]: started, stage 0", getpid());

	stage0();
}
