/*
 * fuzz_manifest.c - libFuzzer target for the manifest loader: any bytes go
 * through ferry_manifest_load_mem(), and what loads is printed as YAML and
 * JSON and hashed. Variables that read files see an empty project
 * directory made at start-up.
 *
 * Fuzz builds (-DFERRY_FUZZ=ON) compile libferry with
 * -fsanitize=fuzzer-no-link, so the fuzzer sees coverage inside the loader.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "ferry/buf.h"
#include "ferry/error.h"
#include "ferry/manifest.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char project[] = "/tmp/ferry-fuzz-XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(project))
		abort();
	unsetenv("FERRY_STAGE");
	unsetenv("FERRY_PROVIDER");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ferry_load_opts opts = { project, NULL, NULL, NULL };
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_config *cfg = NULL;
	struct ferry_error err;
	char hex[65];
	size_t i;

	ferry_error_init(&err);
	if (ferry_manifest_load_mem(&cfg, (const char *)data, size,
				    "ferry.yaml", &opts, &err)) {
		/* every refusal is a message of the documented form */
		if (!err.code || !err.msg[0])
			abort();
		return 0;
	}
	if (ferry_config_to_yaml(cfg, &out, &err) ||
	    ferry_config_to_json(cfg, &out, &err))
		abort();
	for (i = 0; i < cfg->functions_nr; i++)
		if (ferry_function_config_hash(hex, &cfg->functions[i], &err))
			abort();
	(void)ferry_config_setting(cfg, "aws", "region");
	ferry_buf_release(&out);
	ferry_config_free(cfg);
	return 0;
}
