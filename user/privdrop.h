/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --user: run as an unprivileged user once the BPF objects and meters are open. */
#ifndef ENERGAT_PRIVDROP_H
#define ENERGAT_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

/* Resolve NAME (or a numeric uid) to uid/gid; -ENOENT when unknown. */
int user_lookup(const char *name, uid_t *uid, gid_t *gid);

/*
 * Become uid/gid for good, keeping only CAP_BPF and CAP_PERFMON, which the
 * loaded programs' map reads and the task iterator still need on
 * kernels that restrict bpf(2) to them. keep_caps 0 drops every capability
 * (the launched command). -errno with err set on failure.
 */
int drop_privileges(uid_t uid, gid_t gid, int keep_caps, char *err, size_t errlen);

/*
 * --user NAME (NULL: nothing to do), once everything privileged is open:
 * BPF objects, meter, output files and sockets. Keeps CAP_BPF+CAP_PERFMON.
 */
int drop_to_user(const char *name, char *err, size_t errlen);

#endif
