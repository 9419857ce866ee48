/* Capabilities (capabilities(7)): the bounding set, the process's sets, no_new_privs. */
#include "init.h"

int step_drop_bounding_caps(uint64_t keep)
{
	/* PR_CAPBSET_READ says EINVAL for capabilities this kernel does not know, which
	 * gives cap_last_cap without needing /proc (it may not be mounted at this point). */
	for (int cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return fail_sys(errno, "prctl(PR_CAPBSET_DROP, %d)", cap);
	}
	return 0;
}

int step_set_capabilities(uint64_t effective, uint64_t permitted, uint64_t inheritable,
				 uint64_t ambient)
{
	/* capget(2): version 3 takes the 64 capability bits as two 32-bit words. */
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable },
		{ effective >> 32, permitted >> 32, inheritable >> 32 },
	};
	if (syscall(SYS_capset, &header, data) < 0)
		return fail_sys(errno, "capset(effective 0x%llx, permitted 0x%llx, inheritable 0x%llx)",
				(unsigned long long)effective, (unsigned long long)permitted,
				(unsigned long long)inheritable);
	/* Ambient capabilities survive execve(2) of a program without file capabilities. Any
	 * the runtime itself was started with are cleared first (runc: ResetAmbient; EINVAL
	 * means a kernel without ambient capabilities). A capability must be permitted and
	 * inheritable to be raised; the plan lists only those (process-steps.ts). */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return fail_sys(errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
	for (int cap = 0; cap < 64; cap++)
		if ((ambient & (1ULL << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return fail_sys(errno, "prctl(PR_CAP_AMBIENT_RAISE, %d)", cap);
	return 0;
}

int step_no_new_privileges(void)
{
	/* prctl(2): setuid bits and file capabilities stop granting anything across execve. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail_sys(errno, "prctl(PR_SET_NO_NEW_PRIVS, 1)");
	return 0;
}
