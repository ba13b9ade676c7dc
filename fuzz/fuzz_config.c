// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Configuration files: config_parse() with a checking callback, then
 * options_apply_config() after a command line chosen by the first byte.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "fuzz.h"
#include "options.h"

struct seen {
	int last_line;
};

static int check_kv(void *ctx, const char *key, const char *value, int line)
{
	struct seen *s = ctx;
	const char *p;

	FUZZ_ASSERT(line >= 1 && line > s->last_line);
	s->last_line = line;
	FUZZ_ASSERT(key[0]);
	for (p = key; *p; p++)
		FUZZ_ASSERT((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.');
	FUZZ_ASSERT(strlen(value) <= CONFIG_LINE_MAX);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *argvs[][6] = {
		{ "energat-bpf", "--pid", "1", NULL },
		{ "energat-bpf", "--interval", "2", "--pid", "7", NULL },
		{ "energat-bpf", "--", "true", NULL },
		{ "energat-bpf", "top", NULL },
		{ "energat-bpf", "--prometheus", "9100", NULL },
	};
	struct seen s = { 0 };
	struct options o;
	char err[256];
	int argc, k, ret;

	memset(err, 'x', sizeof(err));
	ret = config_parse((const char *)data, size, check_kv, &s, err, sizeof(err));
	if (ret)
		fuzz_check_msg(err, sizeof(err));

	k = size ? data[0] % 5 : 4;
	for (argc = 0; argvs[k][argc]; argc++)
		;
	options_defaults(&o);
	memset(err, 'x', sizeof(err));
	ret = options_parse(argc, argvs[k], &o, err, sizeof(err));
	if (ret) { /* no mode given: the CLI refuses before any config is read */
		fuzz_check_msg(err, sizeof(err));
		options_free(&o);
		return 0;
	}
	memset(err, 'x', sizeof(err));
	ret = options_apply_config(&o, (const char *)data, size, err, sizeof(err));
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -ENOMEM);
	if (ret)
		fuzz_check_msg(err, sizeof(err));
	options_free(&o);
	return 0;
}
