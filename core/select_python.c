/*
 * select_python.c - where a Python function's installed packages live and
 * which of their files ship (`deps` mode): all of them, at the bundle root,
 * except `__pycache__/` and `*.pyc`. It does not install anything (no pip)
 * and does not prune by imports; that is the later `trace` mode.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/fs.h"
#include "ferry/log.h"
#include "select.h"

int ferry_select_is_pyc(const char *name)
{
	size_t n = strlen(name);

	return n >= 4 && !strcmp(name + n - 4, ".pyc");
}

/* "python3.12" -> the runtime's "python3.X" directory name, else NULL. */
static const char *runtime_dir(const struct ferry_function *fn)
{
	if (fn && fn->runtime && !strncmp(fn->runtime, "python3.", 8))
		return fn->runtime;
	return NULL;
}

/* $VIRTUAL_ENV/lib/python3.X/site-packages, or NULL (not an error). */
static int venv_dir(char **out, const char *venv,
		    const struct ferry_function *fn, struct ferry_error *err)
{
	struct ferry_strvec found = FERRY_STRVEC_INIT;
	const char *want = runtime_dir(fn);
	struct dirent *de;
	char *lib = NULL, *site = NULL, *chosen = NULL;
	size_t i;
	DIR *d;
	int rc = 0;

	*out = NULL;
	lib = ferry_path_join(venv, "lib");
	if (!lib) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	d = opendir(lib);
	if (!d) {
		ferry_debug("bundle: VIRTUAL_ENV '%s' has no lib directory; "
			    "no Python packages",
			    venv);
		goto out;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "python3.", 8))
			continue;
		free(site);
		site = ferry_xstrfmt("%s/%s/site-packages", lib, de->d_name);
		if (!site) {
			rc =
			    ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			break;
		}
		if (ferry_fs_is_dir(site) && ferry_strvec_push(&found, site)) {
			rc =
			    ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			break;
		}
	}
	closedir(d);
	if (rc || !found.nr)
		goto out;
	ferry_strvec_sort(&found);
	chosen = found.items[found.nr - 1];
	for (i = 0; want && i < found.nr; i++) {
		const char *name = found.items[i] + strlen(lib) + 1;

		if (!strncmp(name, want, strlen(want)) &&
		    name[strlen(want)] == '/')
			chosen = found.items[i];
	}
	if (found.nr > 1 && (!want || chosen == found.items[found.nr - 1]))
		ferry_debug(
		    "bundle: VIRTUAL_ENV has %zu site-packages; using '%s'",
		    found.nr, chosen);
	*out = ferry_path_absolute(chosen);
	if (!*out)
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
out:
	ferry_strvec_release(&found);
	free(lib);
	free(site);
	return rc;
}

int ferry_select_python_dir(char **out, const struct ferry_config *cfg,
			    const struct ferry_function *fn,
			    struct ferry_error *err)
{
	const char *venv = getenv("VIRTUAL_ENV");
	char *dir = NULL, *joined = NULL;
	int rc = 0;

	*out = NULL;
	if (cfg->python_packages && *cfg->python_packages) {
		joined = cfg->python_packages[0] == '/'
			     ? ferry_strdup(cfg->python_packages)
			     : ferry_path_join(cfg->dir, cfg->python_packages);
		dir = joined ? ferry_path_absolute(joined) : NULL;
		if (!dir) {
			rc =
			    ferry_error_set(err, FERRY_ENOMEM, "out of memory");
			goto out;
		}
		if (!ferry_fs_is_dir(dir)) {
			rc = ferry_error_set(
			    err, FERRY_EFAIL,
			    "python packages directory '%s' does "
			    "not exist; run pip install -r "
			    "requirements.txt --target %s",
			    cfg->python_packages, cfg->python_packages);
			goto out;
		}
		ferry_debug("bundle: python packages from python.packages '%s'",
			    cfg->python_packages);
		*out = dir;
		dir = NULL;
		goto out;
	}
	if (venv && *venv) {
		rc = venv_dir(out, venv, fn, err);
		if (!rc && *out)
			ferry_debug(
			    "bundle: python packages from VIRTUAL_ENV: '%s'",
			    *out);
	}
out:
	free(joined);
	free(dir);
	return rc;
}

int ferry_select_python(struct ferry_bundle_files *files, const char *dir,
			struct ferry_error *err)
{
	static const char *const skip[] = {"__pycache__", NULL};
	struct ferry_strvec all = FERRY_STRVEC_INIT;
	char *src = NULL;
	size_t i;
	int rc;

	rc = ferry_fs_walk(&all, dir, skip, err);
	for (i = 0; !rc && i < all.nr; i++) {
		if (ferry_select_is_pyc(all.items[i]))
			continue;
		src = ferry_path_join(dir, all.items[i]);
		if (!src)
			rc =
			    ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		else
			rc = ferry_select_add(files, all.items[i], src, err);
		free(src);
		src = NULL;
	}
	ferry_strvec_release(&all);
	return rc;
}
