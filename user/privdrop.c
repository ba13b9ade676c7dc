// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "privdrop.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

int user_lookup(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(name);
	char *end;
	long v;

	if (!pw) {
		errno = 0;
		v = strtol(name, &end, 10);
		if (*name && !*end && !errno && v >= 0)
			pw = getpwuid((uid_t)v);
	}
	if (!pw)
		return -ENOENT;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

static int set_caps(__u32 lo, __u32 hi)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { .effective = lo, .permitted = lo },
					       { .effective = hi, .permitted = hi } };

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

int drop_privileges(uid_t uid, gid_t gid, int keep_caps, char *err, size_t errlen)
{
	__u32 hi = keep_caps ? (1u << (CAP_BPF - 32)) | (1u << (CAP_PERFMON - 32)) : 0;

	if (keep_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		goto fail;
	if (setgroups(1, &gid) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		goto fail;
	if (set_caps(0, hi))
		goto fail;
	/* Nothing exec'd from here may gain privileges back. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		goto fail;
	if (keep_caps)
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return 0;
fail:
	snprintf(err, errlen, "cannot drop privileges to uid %u: %s", (unsigned)uid,
		 strerror(errno));
	return -errno;
}

int drop_to_user(const char *name, char *err, size_t errlen)
{
	uid_t uid;
	gid_t gid;

	if (!name)
		return 0;
	if (user_lookup(name, &uid, &gid)) {
		snprintf(err, errlen, "no user '%s'", name);
		return -ENOENT;
	}
	return drop_privileges(uid, gid, 1, err, errlen);
}
