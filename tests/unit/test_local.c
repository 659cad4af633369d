/*
 * test_local.c - the local provider (providers/local) and the registry:
 * the directory object store, publish/activate/remove, and invoke of Node,
 * Python and `provided` handlers through the embedded runners (results,
 * prints kept off the result, thrown errors, timeouts, memory limits,
 * environment, the unpack cache).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ferry/fs.h"
#include "ferry/hash.h"
#include "ferry/log.h"
#include "ferry/provider.h"
#include "ferry/zip.h"

struct fixture {
	char dir[256];
	char *store;
	struct ferry_config cfg;
	struct ferry_function fn;
	struct ferry_kv env[4];
	struct ferry_provider p;
	struct ferry_buf logs;	/* what the provider logged */
};

static void collect(enum ferry_log_level level, const char *msg, void *data)
{
	struct ferry_buf *b = data;

	ferry_buf_addf(b, "%d:%s\n", (int)level, msg);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct ferry_error err;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ferry-local-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	fx->store = ferry_path_join(fx->dir, "store");
	fx->cfg.dir = strdup(fx->dir);
	fx->cfg.file = strdup("ferry.yaml");
	fx->cfg.service = strdup("demo");
	fx->cfg.stage = strdup("dev");
	fx->cfg.provider = strdup("local");
	fx->cfg.doc = json_pack("{s:s, s:{s:{s:s}}}", "service", "demo",
				"providers", "local", "root", fx->store);
	fx->fn.name = strdup("hello");
	fx->fn.full_name = strdup("demo-dev-hello");
	fx->fn.handler_export = strdup("handler");
	fx->fn.memory = 128;
	fx->fn.timeout = 10;
	fx->env[0].key = strdup("GREETING");
	fx->env[0].value = strdup("hi from env");
	fx->env[1].key = strdup("TABLE");
	fx->env[1].value = strdup("users-dev");
	fx->env[2].key = strdup("TZ");
	fx->env[2].value = strdup("Europe/Paris");
	fx->env[3].key = strdup("FERRY_STAGE");
	fx->env[3].value = strdup("spoofed");
	fx->fn.env.items = fx->env;
	fx->fn.env.nr = 4;
	fx->cfg.functions = &fx->fn;
	fx->cfg.functions_nr = 1;
	ferry_buf_init(&fx->logs);
	ferry_log_set(collect, &fx->logs);
	ferry_error_init(&err);
	assert_int_equal(ferry_provider_open(&fx->p, &fx->cfg, &err), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	ferry_log_set(NULL, NULL);
	ferry_provider_close(&fx->p);
	ferry_fs_remove_tree(fx->dir, NULL);
	free(fx->fn.name);
	free(fx->fn.full_name);
	free(fx->fn.handler);
	free(fx->fn.handler_file);
	free(fx->fn.handler_export);
	free(fx->fn.runtime);
	free(fx->env[0].key);
	free(fx->env[0].value);
	free(fx->env[1].key);
	free(fx->env[1].value);
	free(fx->env[2].key);
	free(fx->env[2].value);
	free(fx->env[3].key);
	free(fx->env[3].value);
	free(fx->cfg.dir);
	free(fx->cfg.file);
	free(fx->cfg.service);
	free(fx->cfg.stage);
	free(fx->cfg.provider);
	json_decref(fx->cfg.doc);
	free(fx->store);
	ferry_buf_release(&fx->logs);
	free(fx);
	return 0;
}

static void set_handler(struct fixture *fx, const char *runtime,
			const char *file)
{
	free(fx->fn.runtime);
	free(fx->fn.handler_file);
	fx->fn.runtime = strdup(runtime);
	fx->fn.handler_file = strdup(file);
	fx->fn.runtime_kind = !strncmp(runtime, "nodejs", 6) ? FERRY_RT_NODE :
		!strncmp(runtime, "python", 6) ? FERRY_RT_PYTHON :
		FERRY_RT_PROVIDED;
}

/*
 * Zip `code` as the handler file, store it as an artifact, publish it and
 * return the version.
 */
static void deploy_code(struct fixture *fx, const char *code,
			struct ferry_version *v)
{
	struct ferry_zip_entry e;
	struct ferry_artifact a;
	struct ferry_blob blob = { NULL, 0, NULL };
	struct ferry_error err;
	char sha[65], *zip, *key;

	zip = ferry_xstrfmt("%s/bundle.zip", fx->dir);
	e.name = fx->fn.handler_file;
	e.source = NULL;
	e.data = code;
	e.data_len = strlen(code);
	e.executable = 1;
	ferry_error_init(&err);
	assert_int_equal(ferry_zip_write(zip, &e, 1, NULL, &err), 0);
	assert_int_equal(ferry_sha256_file(sha, zip, &err), 0);
	key = ferry_xstrfmt("demo/artifacts/%s.zip", sha);
	blob.path = zip;
	assert_int_equal(fx->p.ops->put(&fx->p, key, &blob, 0, &err), 0);
	a.sha256 = sha;
	a.key = key;
	a.path = zip;
	a.size = 0;
	a.config_hash = "00112233445566778899aabbccddeeff"
		"00112233445566778899aabbccddeeff";
	assert_int_equal(fx->p.ops->publish(&fx->p, &fx->fn, &a, v, &err), 0);
	assert_int_equal(fx->p.ops->activate(&fx->p, &fx->fn, v, &err), 0);
	free(zip);
	free(key);
}

static int invoke(struct fixture *fx, const struct ferry_version *v,
		  const char *event, struct ferry_buf *out,
		  struct ferry_error *err)
{
	struct ferry_buf ev = FERRY_BUF_INIT;
	int rc;

	ferry_buf_addstr(&ev, event);
	ferry_buf_reset(out);
	ferry_error_init(err);
	rc = fx->p.ops->invoke(&fx->p, &fx->fn, v, &ev, out, err);
	ferry_buf_release(&ev);
	return rc;
}

/* ---- registry --------------------------------------------------------- */

static void test_registry(void **state)
{
	struct ferry_config cfg;
	struct ferry_provider p;
	struct ferry_error err;
	const char *const *names = ferry_provider_names();
	size_t i;

	(void)state;
	assert_non_null(ferry_provider_find("local"));
	assert_string_equal(ferry_provider_find("local")->name, "local");
	assert_null(ferry_provider_find("nimbus"));
	assert_string_equal(names[0], "local");
	/* every listed name opens a provider of that name */
	for (i = 0; names[i]; i++)
		assert_string_equal(ferry_provider_find(names[i])->name,
				    names[i]);
	memset(&cfg, 0, sizeof(cfg));
	cfg.provider = "nimbus";
	ferry_error_init(&err);
	assert_int_equal(ferry_provider_open(&p, &cfg, &err), FERRY_ECONFIG);
	assert_non_null(strstr(err.msg, "unknown provider 'nimbus'"));
	assert_non_null(strstr(err.msg, "local"));
	ferry_provider_close(&p);	/* accepts a failed open */
}

/* ---- store ------------------------------------------------------------ */

static void test_store(void **state)
{
	struct fixture *fx = *state;
	struct ferry_strvec keys = FERRY_STRVEC_INIT;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_blob one = { "one", 3, NULL }, two = { "two", 3, NULL };
	struct ferry_error err;
	char *tmp;

	ferry_error_init(&err);
	assert_int_equal(fx->p.ops->put(&fx->p, "a/b/c.json", &one, 1, &err), 0);
	assert_int_equal(fx->p.ops->put(&fx->p, "a/b/c.json", &two, 1, &err),
			 FERRY_EEXIST);
	ferry_error_init(&err);
	assert_int_equal(fx->p.ops->get(&fx->p, "a/b/c.json", &out, &err), 0);
	assert_string_equal(out.buf, "one");
	assert_int_equal(fx->p.ops->put(&fx->p, "a/b/c.json", &two, 0, &err), 0);
	ferry_buf_reset(&out);
	assert_int_equal(fx->p.ops->get(&fx->p, "a/b/c.json", &out, &err), 0);
	assert_string_equal(out.buf, "two");
	assert_int_equal(fx->p.ops->put(&fx->p, "a/bc.json", &one, 0, &err), 0);
	assert_int_equal(fx->p.ops->put(&fx->p, "x/y", &one, 0, &err), 0);

	/* the file is where the key says */
	tmp = ferry_xstrfmt("%s/a/b/c.json", fx->store);
	assert_true(ferry_fs_is_file(tmp));
	free(tmp);
	/* a leftover temp file of a killed write is no key */
	tmp = ferry_xstrfmt("%s/a/b/d.json.tmp.12345", fx->store);
	assert_int_equal(ferry_fs_write_atomic(tmp, "x", 1, 0644, 0, &err), 0);
	free(tmp);

	assert_int_equal(fx->p.ops->list(&fx->p, "a/b", &keys, &err), 0);
	ferry_strvec_sort(&keys);
	assert_int_equal(keys.nr, 2);
	assert_string_equal(keys.items[0], "a/b/c.json");
	assert_string_equal(keys.items[1], "a/bc.json");
	ferry_strvec_release(&keys);
	assert_int_equal(fx->p.ops->list(&fx->p, "", &keys, &err), 0);
	assert_int_equal(keys.nr, 3);
	ferry_strvec_release(&keys);
	assert_int_equal(fx->p.ops->list(&fx->p, "nothing/here/", &keys, &err), 0);
	assert_int_equal(keys.nr, 0);

	assert_int_equal(fx->p.ops->del(&fx->p, "a/b/c.json", &err), 0);
	assert_int_equal(fx->p.ops->del(&fx->p, "a/b/c.json", &err), 0);
	ferry_buf_reset(&out);
	assert_int_equal(fx->p.ops->get(&fx->p, "a/b/c.json", &out, &err),
			 FERRY_ENOTFOUND);
	assert_string_equal(err.msg, "local: key 'a/b/c.json' not found");

	/* keys cannot escape the store */
	ferry_error_init(&err);
	assert_int_equal(fx->p.ops->put(&fx->p, "../evil", &one, 0, &err),
			 FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "invalid store key"));
	assert_int_equal(fx->p.ops->put(&fx->p, "/etc/x", &one, 0, &err),
			 FERRY_EFAIL);
	assert_int_equal(fx->p.ops->get(&fx->p, "a//b", &out, &err), FERRY_EFAIL);
	assert_int_equal(fx->p.ops->del(&fx->p, "a/../../x", &err), FERRY_EFAIL);
	ferry_buf_release(&out);
}

/* Temporaries of killed writers are swept; a live writer's are kept. */
static void test_sweep_temps(void **state)
{
	struct fixture *fx = *state;
	struct ferry_blob one = { "1", 1, NULL };
	struct ferry_error err;
	char *dead_tmp, *live_tmp;
	pid_t dead;

	dead = fork();
	if (dead == 0)
		_exit(0);
	assert_true(dead > 0);
	waitpid(dead, NULL, 0);
	dead_tmp = ferry_xstrfmt("%s/demo/artifacts/x.zip.tmp.%ld", fx->store,
				 (long)dead);
	live_tmp = ferry_xstrfmt("%s/demo/artifacts/y.zip.tmp.%ld", fx->store,
				 (long)getppid());
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_mkdirs_parent(dead_tmp, &err), 0);
	assert_int_equal(ferry_fs_write_atomic(dead_tmp, "x", 1, 0644, 0, &err), 0);
	assert_int_equal(ferry_fs_write_atomic(live_tmp, "y", 1, 0644, 0, &err), 0);
	assert_int_equal(fx->p.ops->put(&fx->p, "demo/artifacts/z.zip", &one, 1,
					&err), 0);
	assert_false(ferry_fs_exists(dead_tmp));
	assert_true(ferry_fs_exists(live_tmp));
	free(dead_tmp);
	free(live_tmp);
}

/* The store root defaults to .ferry/local in the project. */
static void test_default_root(void **state)
{
	struct fixture *fx = *state;
	struct ferry_blob one = { "1", 1, NULL };
	struct ferry_provider p;
	struct ferry_error err;
	json_t *saved = fx->cfg.doc;
	char *path;

	fx->cfg.doc = json_object();
	ferry_error_init(&err);
	assert_int_equal(ferry_provider_open(&p, &fx->cfg, &err), 0);
	assert_int_equal(p.ops->put(&p, "k/v", &one, 0, &err), 0);
	path = ferry_xstrfmt("%s/.ferry/local/k/v", fx->dir);
	assert_true(ferry_fs_is_file(path));
	free(path);
	ferry_provider_close(&p);
	json_decref(fx->cfg.doc);
	fx->cfg.doc = saved;
}

static void test_publish_activate_remove(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_version v, missing;
	struct ferry_error err;
	json_t *doc;
	char *dir;

	set_handler(fx, "provided", "bootstrap");
	deploy_code(fx, "#!/bin/sh\necho 1\n", &v);
	assert_non_null(strstr(v.id, "demo/dev/versions/hello/"));
	assert_non_null(strstr(v.id, "-0011223344556677.json"));
	ferry_error_init(&err);
	assert_int_equal(fx->p.ops->get(&fx->p, v.id, &out, &err), 0);
	doc = json_loads(out.buf, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(doc, "runtime")),
			    "provided");
	assert_int_equal(json_integer_value(json_object_get(doc, "memory")), 128);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(doc, "env"), "TABLE")), "users-dev");
	json_decref(doc);

	snprintf(missing.id, sizeof(missing.id),
		 "demo/dev/versions/hello/nope.json");
	assert_int_equal(fx->p.ops->activate(&fx->p, &fx->fn, &missing, &err),
			 FERRY_ENOTFOUND);
	ferry_error_init(&err);
	assert_int_equal(fx->p.ops->remove(&fx->p, &fx->fn, &err), 0);
	dir = ferry_xstrfmt("%s/demo/dev/versions/hello", fx->store);
	assert_false(ferry_fs_exists(dir));
	free(dir);
	assert_int_equal(fx->p.ops->activate(&fx->p, &fx->fn, &v, &err),
			 FERRY_ENOTFOUND);
	ferry_buf_release(&out);
}

/* ---- invoke ----------------------------------------------------------- */

static void test_invoke_provided(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_version v;
	struct ferry_error err;

	set_handler(fx, "provided", "bootstrap");
	deploy_code(fx, "#!/bin/sh\n"
		    "read -r event\n"
		    "echo \"log line from bootstrap\" >&2\n"
		    "printf '{\"event\": %s, \"greeting\": \"%s\", \"fn\": \"%s\", "
		    "\"stage\": \"%s\", \"mem\": %s, \"tz\": \"%s\"}\\n' "
		    "\"$event\" \"$GREETING\" \"$FERRY_FUNCTION_NAME\" "
		    "\"$FERRY_STAGE\" \"$FERRY_FUNCTION_MEMORY\" \"$TZ\"\n", &v);
	assert_int_equal(invoke(fx, &v, "{\"n\": 1}\n", &out, &err), 0);
	assert_string_equal(out.buf, "{\"event\": {\"n\": 1}, \"greeting\": "
			    "\"hi from env\", \"fn\": \"hello\", \"stage\": "
			    "\"dev\", \"mem\": 128, \"tz\": \"Europe/Paris\"}");
	assert_non_null(strstr(fx->logs.buf, "log line from bootstrap"));
	ferry_buf_release(&out);
}

static void test_invoke_provided_errors(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_version v;
	struct ferry_error err;

	set_handler(fx, "provided", "bootstrap");
	deploy_code(fx, "#!/bin/sh\necho 'disk on fire' >&2\nexit 3\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "function 'hello' failed: exited with "
			       "status 3: disk on fire"));

	deploy_code(fx, "#!/bin/sh\necho not json\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "not JSON"));

	fx->fn.timeout = 1;
	deploy_code(fx, "#!/bin/sh\nsleep 20\necho 1\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), FERRY_ETIMEOUT);
	assert_string_equal(err.msg, "function 'hello' timed out after 1 s "
			    "(timeout: 1 in ferry.yaml)");
	ferry_buf_release(&out);
}

/* The bundle is unpacked once and reused. */
static void test_unpack_cache(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_version v;
	struct ferry_error err;
	struct ferry_strvec entries = FERRY_STRVEC_INIT;
	char *cache, *stale;
	pid_t dead;

	set_handler(fx, "provided", "bootstrap");
	deploy_code(fx, "#!/bin/sh\ntouch marker-$$\nls | grep -c marker\n", &v);
	/* what an invocation killed while unpacking left behind */
	dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	stale = ferry_xstrfmt("%s/.cache/%064d.tmp.%ld", fx->store, 0,
			      (long)dead);
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_mkdirs(stale, &err), 0);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), 0);
	assert_string_equal(out.buf, "1");
	assert_false(ferry_fs_exists(stale));
	free(stale);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), 0);
	assert_string_equal(out.buf, "2");
	cache = ferry_xstrfmt("%s/.cache", fx->store);
	assert_int_equal(ferry_fs_walk(&entries, cache, NULL, &err), 0);
	assert_int_equal(entries.nr, 3);	/* bootstrap + two markers */
	ferry_strvec_release(&entries);
	free(cache);
	ferry_buf_release(&out);
}

static void test_invoke_node(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_version v;
	struct ferry_error err;

	set_handler(fx, "nodejs20", "src/hello.js");
	deploy_code(fx, "exports.handler = async (event, context) => {\n"
		    "  console.log('node log line');\n"
		    "  process.stdout.write('raw write\\n');\n"
		    "  return { got: event.n, env: process.env.GREETING,\n"
		    "    name: context.functionName,\n"
		    "    left: context.getRemainingTimeInMillis() > 0 };\n"
		    "};\n", &v);
	assert_int_equal(invoke(fx, &v, "{\"n\": 42}", &out, &err), 0);
	assert_string_equal(out.buf, "{\"got\":42,\"env\":\"hi from env\","
			    "\"name\":\"hello\",\"left\":true}");
	assert_non_null(strstr(fx->logs.buf, "node log line"));
	assert_non_null(strstr(fx->logs.buf, "raw write"));

	/* a handler writing to descriptor 1 itself does not spoil the result */
	deploy_code(fx, "const fs = require('fs');\n"
		    "exports.handler = async () => {\n"
		    "  fs.writeSync(1, 'sneaky line\\n');\n"
		    "  throw new RangeError('after the write');\n"
		    "};\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "failed: RangeError: after the write"));
	assert_non_null(strstr(fx->logs.buf, "1:sneaky line"));
	deploy_code(fx, "const fs = require('fs');\n"
		    "exports.handler = async () => {\n"
		    "  fs.writeSync(1, 'sneaky\\n');\n"
		    "  return 5;\n"
		    "};\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), 0);
	assert_string_equal(out.buf, "5");

	/* sync and callback styles */
	deploy_code(fx, "exports.handler = (e) => 'sync ' + e.n;\n", &v);
	assert_int_equal(invoke(fx, &v, "{\"n\": 1}", &out, &err), 0);
	assert_string_equal(out.buf, "\"sync 1\"");
	deploy_code(fx, "exports.handler = (e, c, cb) => "
		    "setTimeout(() => cb(null, 'cb'), 10);\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), 0);
	assert_string_equal(out.buf, "\"cb\"");
	ferry_buf_release(&out);
}

static void test_invoke_node_esm(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_version v;
	struct ferry_error err;

	set_handler(fx, "nodejs20", "src/hello.mjs");
	deploy_code(fx, "export const handler = async () => "
		    "new Promise((r) => r({ esm: true }));\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), 0);
	assert_string_equal(out.buf, "{\"esm\":true}");
	ferry_buf_release(&out);
}

static void test_invoke_node_throws(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_version v;
	struct ferry_error err;

	set_handler(fx, "nodejs20", "src/hello.js");
	deploy_code(fx, "exports.handler = async () => {\n"
		    "  null.boom();\n"
		    "};\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "function 'hello' failed: TypeError: "));
	assert_non_null(strstr(err.msg, "\n    at "));
	assert_non_null(strstr(err.msg, "src/hello.js:2:"));

	deploy_code(fx, "exports.other = () => 1;\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "Runtime.HandlerNotFound"));
	ferry_buf_release(&out);
}

/* Node's heap is capped at the function's memory. */
static void test_invoke_node_memory(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_version v;
	struct ferry_error err;

	set_handler(fx, "nodejs20", "src/hog.js");
	deploy_code(fx, "exports.handler = async () => {\n"
		    "  const a = [];\n"
		    "  for (;;) a.push(new Array(1e6).fill(1));\n"
		    "};\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "function 'hello' failed: ran out of "
			       "memory (memory: 128 MB; "));
	ferry_buf_release(&out);
}

static void test_invoke_python(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_version v;
	struct ferry_error err;

	set_handler(fx, "python3.11", "jobs/nightly.py");
	free(fx->fn.handler_export);
	fx->fn.handler_export = strdup("run");
	deploy_code(fx, "import os\n"
		    "def run(event, context):\n"
		    "    print('python log line')\n"
		    "    os.write(1, b'fd one\\n')\n"
		    "    return {'got': event['n'], 'env': os.environ['TABLE'],\n"
		    "            'name': context.function_name,\n"
		    "            'mem': context.memory_limit_in_mb,\n"
		    "            'left': context.get_remaining_time_in_millis() > 0}\n",
		    &v);
	assert_int_equal(invoke(fx, &v, "{\"n\": 7}", &out, &err), 0);
	assert_string_equal(out.buf, "{\"got\": 7, \"env\": \"users-dev\", "
			    "\"name\": \"hello\", \"mem\": 128, \"left\": true}");
	assert_non_null(strstr(fx->logs.buf, "python log line"));
	assert_non_null(strstr(fx->logs.buf, "fd one"));

	deploy_code(fx, "def run(event, context):\n"
		    "    raise ValueError('bad input')\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "function 'hello' failed: ValueError: "
			       "bad input\n    File \"jobs/nightly.py\", line 2, "
			       "in run"));

	/* a handler module named like one the runner imports */
	set_handler(fx, "python3.11", "json.py");
	deploy_code(fx, "def run(event, context):\n"
		    "    return 'mine'\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), 0);
	assert_string_equal(out.buf, "\"mine\"");
	set_handler(fx, "python3.11", "jobs/nightly.py");

	/* more than `memory` MB */
	deploy_code(fx, "def run(event, context):\n"
		    "    b = bytearray(400 * 1024 * 1024)\n"
		    "    return len(b)\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), FERRY_EFAIL);
	assert_non_null(strstr(err.msg, "MemoryError"));
	fx->fn.memory = 1024;
	deploy_code(fx, "def run(event, context):\n"
		    "    b = bytearray(400 * 1024 * 1024)\n"
		    "    return len(b)\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), 0);
	assert_string_equal(out.buf, "419430400");
	ferry_buf_release(&out);
}

/* A runtime whose major version differs from the installed one warns. */
static void test_version_warning(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf out = FERRY_BUF_INIT;
	struct ferry_version v;
	struct ferry_error err;

	set_handler(fx, "nodejs4", "src/hello.js");
	deploy_code(fx, "exports.handler = async () => 1;\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), 0);
	assert_non_null(strstr(fx->logs.buf, "2:runtime nodejs4 asks for node "
			       "4, but the installed node is "));
	ferry_buf_reset(&fx->logs);
	set_handler(fx, "nodejs20", "src/hello.js");
	deploy_code(fx, "exports.handler = async () => 1;\n", &v);
	assert_int_equal(invoke(fx, &v, "{}", &out, &err), 0);
	assert_null(strstr(fx->logs.buf, "asks for"));
	ferry_buf_release(&out);
}

static void test_endpoint(void **state)
{
	struct fixture *fx = *state;
	struct ferry_buf url = FERRY_BUF_INIT;
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(fx->p.ops->endpoint(&fx->p, &fx->fn, &url, &err),
			 FERRY_ENOTFOUND);
	assert_non_null(strstr(err.msg, "ferry serve"));
	ferry_buf_release(&url);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		T(test_store),
		T(test_sweep_temps),
		T(test_default_root),
		T(test_publish_activate_remove),
		T(test_invoke_provided),
		T(test_invoke_provided_errors),
		T(test_unpack_cache),
		T(test_invoke_node),
		T(test_invoke_node_esm),
		T(test_invoke_node_throws),
		T(test_invoke_node_memory),
		T(test_invoke_python),
		T(test_version_warning),
		T(test_endpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
