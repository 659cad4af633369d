/*
 * test_template_git.c - templates from git: the spec grammar (table-driven,
 * no network: gh:, ssh:// and user@host:path are only parsed, as no ssh
 * server runs here), then ferry_template_fetch() against one real
 * repository made with the git command line and served three ways: file://,
 * `git daemon` (git://) and lighttpd + git-http-backend (smart HTTP), each
 * started and stopped by PID on a free loopback port. Checked on every
 * transport: default branch, #tag, #branch, #sha, //subdir and their
 * combinations, unknown repository, ref and subdir, no `.git` in the
 * result, no temporary directory left after a failure. Then an empty
 * repository, symbolic links leaving the template, credentials never
 * shown, a server that wants credentials (exit 4), and Ctrl-C.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ferry/buf.h"
#include "ferry/cancel.h"
#include "ferry/error.h"
#include "ferry/fs.h"
#include "ferry/template.h"
#include "template_git.h"
#include "gitcli.h"
#include "port.h"

static char base[] = "/tmp/ferry-tgit-XXXXXX";
static char *srv;		/* bare repositories: tpl.git, evil.git */
static char *tmpdir;		/* $TMPDIR of the fetches: empty between */
static char sha_v1[41], sha_main[41];
static pid_t daemon_pid, httpd_pid;
static int daemon_port, httpd_port;

/* ---- helpers ---------------------------------------------------------- */


static void write_file(const char *dir, const char *name, const char *text)
{
	char *p = ferry_path_join(dir, name);
	struct ferry_error err;
	FILE *f;

	ferry_error_init(&err);
	assert_int_equal(ferry_fs_mkdirs_parent(p, &err), 0);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	free(p);
}

/* The content of `dir`/`name`, or NULL when it is missing. */
static char *slurp(const char *dir, const char *name)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	struct ferry_error err;
	char *p = ferry_path_join(dir, name);
	int rc;

	ferry_error_init(&err);
	rc = ferry_fs_read(&b, p, 0, &err);
	free(p);
	if (rc) {
		ferry_buf_release(&b);
		return NULL;
	}
	return ferry_buf_detach(&b);
}

static void assert_file(const char *dir, const char *name, const char *want)
{
	char *got = slurp(dir, name);

	if (!want) {
		if (got)
			fail_msg("'%s' should not be in '%s'", name, dir);
		return;
	}
	if (!got)
		fail_msg("'%s' is missing in '%s'", name, dir);
	assert_string_equal(got, want);
	free(got);
}

/* Number of entries in $TMPDIR of the fetches (0: nothing left behind). */
static int tmp_entries(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* 1 once something accepts connections on 127.0.0.1:port (5 s at most). */
static int wait_port(int port)
{
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	struct sockaddr_in a;
	int fd, ok;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	for (int i = 0; i < 250; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		ok = !connect(fd, (struct sockaddr *)&a, sizeof(a));
		close(fd);
		if (ok)
			return 1;
		nanosleep(&nap, NULL);
	}
	return 0;
}

/* Start argv[0] (PATH lookup) in the background, output to `log`. */
static pid_t spawn(const char *const *argv, const char *log)
{
	pid_t pid = fork();
	int fd;

	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static void stop(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

static int have(const char *prog)
{
	static const char *const dirs[] = { "/usr/sbin", "/usr/bin",
					    "/usr/lib/git-core", NULL };
	char *p;
	int ok = 0;

	for (int i = 0; dirs[i] && !ok; i++) {
		p = ferry_path_join(dirs[i], prog);
		ok = access(p, X_OK) == 0;
		free(p);
	}
	return ok;
}

/* ---- the repositories and servers ------------------------------------- */

/*
 * work: main has README "v2", tpl/ferry.yaml "two", main-only.txt and an
 * in-template link tpl/alias -> ferry.yaml; annotated tag v1 is the first
 * commit (README "v1", tpl/ferry.yaml "one"); branch next adds next.txt on
 * top of v1. evil.git has links leaving the template.
 */
static void make_repos(void)
{
	struct ferry_buf out = FERRY_BUF_INIT;
	char *work = ferry_path_join(base, "work");
	char *evil = ferry_path_join(base, "evil");
	char *bare;
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(ferry_fs_mkdirs(work, &err), 0);
	assert_int_equal(git(work, NULL, "init", "-q", "-b", "main", NULL), 0);
	write_file(work, "README.md", "v1\n");
	write_file(work, "tpl/ferry.yaml", "one\n");
	assert_int_equal(git(work, NULL, "add", ".", NULL), 0);
	assert_int_equal(git(work, NULL, "commit", "-q", "-m", "one", NULL), 0);
	assert_int_equal(git(work, NULL, "tag", "-a", "-m", "v1", "v1", NULL),
			 0);
	assert_int_equal(git(work, &out, "rev-parse", "HEAD", NULL), 0);
	assert_int_equal(out.len, 40);
	memcpy(sha_v1, out.buf, 41);
	ferry_buf_reset(&out);

	assert_int_equal(git(work, NULL, "checkout", "-q", "-b", "next", NULL),
			 0);
	write_file(work, "next.txt", "next\n");
	assert_int_equal(git(work, NULL, "add", ".", NULL), 0);
	assert_int_equal(git(work, NULL, "commit", "-q", "-m", "next", NULL),
			 0);
	assert_int_equal(git(work, NULL, "checkout", "-q", "main", NULL), 0);

	write_file(work, "README.md", "v2\n");
	write_file(work, "tpl/ferry.yaml", "two\n");
	write_file(work, "main-only.txt", "main\n");
	{
		char *l = ferry_path_join(work, "tpl/alias");

		assert_int_equal(symlink("ferry.yaml", l), 0);
		free(l);
	}
	assert_int_equal(git(work, NULL, "add", ".", NULL), 0);
	assert_int_equal(git(work, NULL, "commit", "-q", "-m", "two", NULL), 0);
	assert_int_equal(git(work, &out, "rev-parse", "HEAD", NULL), 0);
	memcpy(sha_main, out.buf, 41);
	ferry_buf_release(&out);

	bare = ferry_path_join(srv, "tpl.git");
	assert_int_equal(git(base, NULL, "clone", "-q", "--bare", work, bare,
			     NULL), 0);
	free(bare);

	/* evil: tpl/up -> ../README.md, abs -> /etc/hostname, out -> /etc */
	assert_int_equal(ferry_fs_mkdirs(evil, &err), 0);
	assert_int_equal(git(evil, NULL, "init", "-q", "-b", "main", NULL), 0);
	write_file(evil, "README.md", "evil\n");
	write_file(evil, "tpl/ferry.yaml", "evil\n");
	write_file(evil, "ok/ferry.yaml", "fine\n");
	{
		const char *links[][2] = {
			{ "../README.md", "tpl/up" },
			{ "/etc/hostname", "abs" },
			{ "/etc", "out" },
			{ "ok", "okalias" },
		};

		for (size_t i = 0; i < 4; i++) {
			char *l = ferry_path_join(evil, links[i][1]);

			assert_int_equal(symlink(links[i][0], l), 0);
			free(l);
		}
	}
	assert_int_equal(git(evil, NULL, "add", ".", NULL), 0);
	assert_int_equal(git(evil, NULL, "commit", "-q", "-m", "evil", NULL),
			 0);
	bare = ferry_path_join(srv, "evil.git");
	assert_int_equal(git(base, NULL, "clone", "-q", "--bare", evil, bare,
			     NULL), 0);
	free(bare);
	free(work);
	free(evil);
}

static void start_daemon(void)
{
	char *pidfile = ferry_path_join(base, "daemon.pid");
	char *log = ferry_path_join(base, "daemon.log");
	char port[32], basepath[512], pidopt[600];
	const char *argv[] = { "git", "daemon", "--listen=127.0.0.1", port,
			       basepath, "--export-all", "--reuseaddr",
			       pidopt, srv, NULL };

	daemon_port = free_port();
	snprintf(port, sizeof(port), "--port=%d", daemon_port);
	snprintf(basepath, sizeof(basepath), "--base-path=%s", srv);
	snprintf(pidopt, sizeof(pidopt), "--pid-file=%s", pidfile);
	daemon_pid = spawn(argv, log);
	if (!wait_port(daemon_port))
		fail_msg("git daemon did not listen on %d (see %s)",
			 daemon_port, log);
	free(pidfile);
	free(log);
}

static void start_httpd(void)
{
	char *conf = ferry_path_join(base, "lighttpd.conf");
	char *log = ferry_path_join(base, "lighttpd.log");
	char *www = ferry_path_join(base, "www");
	char *text;
	const char *argv[] = { "lighttpd", "-D", "-f", conf, NULL };
	struct ferry_error err;

	ferry_error_init(&err);
	assert_int_equal(ferry_fs_mkdirs(www, &err), 0);
	httpd_port = free_port();
	text = ferry_xstrfmt(
		"server.document-root = \"%s\"\n"
		"server.bind = \"127.0.0.1\"\n"
		"server.port = %d\n"
		"server.errorlog = \"%s/lighttpd.errors\"\n"
		"server.modules = ( \"mod_alias\", \"mod_cgi\", "
		"\"mod_setenv\" )\n"
		"alias.url = ( \"/git\" => "
		"\"/usr/lib/git-core/git-http-backend\" )\n"
		"$HTTP[\"url\"] =~ \"^/git\" {\n"
		"  cgi.assign = ( \"\" => \"\" )\n"
		"  setenv.add-environment = ( \"GIT_PROJECT_ROOT\" => \"%s\", "
		"\"GIT_HTTP_EXPORT_ALL\" => \"1\" )\n"
		"}\n",
		www, httpd_port, base, srv);
	write_file(base, "lighttpd.conf", text);
	free(text);
	httpd_pid = spawn(argv, log);
	if (!wait_port(httpd_port))
		fail_msg("lighttpd did not listen on %d (see %s)", httpd_port,
			 log);
	free(conf);
	free(log);
	free(www);
}

static int setup(void **state)
{
	struct ferry_error err;

	(void)state;
	assert_non_null(mkdtemp(base));
	srv = ferry_path_join(base, "srv");
	tmpdir = ferry_path_join(base, "tmp");
	ferry_error_init(&err);
	assert_int_equal(ferry_fs_mkdirs(srv, &err), 0);
	assert_int_equal(ferry_fs_mkdirs(tmpdir, &err), 0);
	setenv("TMPDIR", tmpdir, 1);
	/* no user or system git configuration may change what is tested */
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("HOME", base, 1);
	make_repos();
	start_daemon();
	if (have("lighttpd") && have("git-http-backend"))
		start_httpd();
	return 0;
}

static int teardown(void **state)
{
	struct ferry_error err;

	(void)state;
	stop(&daemon_pid);
	stop(&httpd_pid);
	ferry_error_init(&err);
	ferry_fs_remove_tree(base, &err);
	free(srv);
	free(tmpdir);
	return 0;
}

/* ---- spec grammar ------------------------------------------------------ */

struct parse_case {
	const char *spec;
	int rc;
	const char *url;	/* or the expected message when rc != 0 */
	const char *ref;
	const char *subdir;
};

static const struct parse_case parse_cases[] = {
	{ "https://example.com/o/r.git", 0, "https://example.com/o/r.git",
	  NULL, NULL },
	{ "https://example.com/o/r#v1", 0, "https://example.com/o/r", "v1",
	  NULL },
	{ "https://example.com/o/r//tpl", 0, "https://example.com/o/r", NULL,
	  "tpl" },
	{ "https://example.com/o/r#feature/x//a/b/", 0,
	  "https://example.com/o/r", "feature/x", "a/b" },
	{ "https://example.com:8443/o/r#0123abc//./a//b", 0,
	  "https://example.com:8443/o/r", "0123abc", "a/b" },
	{ "http://127.0.0.1:8080/git/t.git", 0,
	  "http://127.0.0.1:8080/git/t.git", NULL, NULL },
	{ "git://host/t.git#main", 0, "git://host/t.git", "main", NULL },
	{ "ssh://git@host:2222/srv/t.git//x", 0, "ssh://git@host:2222/srv/t.git",
	  NULL, "x" },
	{ "git@github.com:owner/repo.git#v2//templates/node", 0,
	  "git@github.com:owner/repo.git", "v2", "templates/node" },
	{ "deploy@host.example:t", 0, "deploy@host.example:t", NULL, NULL },
	{ "file:///srv/t.git#next//tpl", 0, "file:///srv/t.git", "next",
	  "tpl" },
	{ "gh:owner/repo", 0, "https://github.com/owner/repo.git", NULL,
	  NULL },
	{ "gh:my-org/my.repo.git#v1.2.0//examples/http", 0,
	  "https://github.com/my-org/my.repo.git", "v1.2.0",
	  "examples/http" },
	{ "https://user:s3cret@example.com/o/r#v1", 0,
	  "https://user:s3cret@example.com/o/r", "v1", NULL },

	{ "", FERRY_EUSAGE, "malformed --template '': empty", NULL, NULL },
	{ "ftp://host/x", FERRY_EUSAGE, "malformed --template 'ftp://host/x': "
	  "unsupported scheme 'ftp' (use https, http, git, ssh or file)",
	  NULL, NULL },
	{ "https://example.com", FERRY_EUSAGE, "malformed --template "
	  "'https://example.com': no repository path", NULL, NULL },
	{ "https://example.com/", FERRY_EUSAGE, "malformed --template "
	  "'https://example.com/': no repository path", NULL, NULL },
	{ "https://example.com//tpl", FERRY_EUSAGE, "malformed --template "
	  "'https://example.com//tpl': no repository path", NULL, NULL },
	{ "https:///o/r", FERRY_EUSAGE, "malformed --template "
	  "'https:///o/r': no host", NULL, NULL },
	{ "file://host/srv/t.git", FERRY_EUSAGE, "malformed --template "
	  "'file://host/srv/t.git': a file:// URL takes an absolute path: "
	  "file:///PATH", NULL, NULL },
	{ "https://example.com/o/r#", FERRY_EUSAGE, "malformed --template "
	  "'https://example.com/o/r#': empty ref after '#'", NULL, NULL },
	{ "https://example.com/o/r#//tpl", FERRY_EUSAGE, "malformed "
	  "--template 'https://example.com/o/r#//tpl': empty ref after '#'",
	  NULL, NULL },
	{ "https://example.com/o/r//", FERRY_EUSAGE, "malformed --template "
	  "'https://example.com/o/r//': empty subdirectory after '//'",
	  NULL, NULL },
	{ "https://example.com/o/r//tpl#v1", FERRY_EUSAGE, "malformed "
	  "--template 'https://example.com/o/r//tpl#v1': '#REF' must come "
	  "before '//SUBDIR'", NULL, NULL },
	{ "https://example.com/o/r#a#b", FERRY_EUSAGE, "malformed --template "
	  "'https://example.com/o/r#a#b': more than one '#'", NULL, NULL },
	{ "https://example.com/o/r#v1//a/../../etc", FERRY_EUSAGE,
	  "malformed --template 'https://example.com/o/r#v1//a/../../etc': "
	  "subdirectory 'a/../../etc' leaves the repository ('..')", NULL,
	  NULL },
	{ "https://example.com/o/r#a..b", FERRY_EUSAGE, "malformed "
	  "--template 'https://example.com/o/r#a..b': 'a..b' is not a "
	  "branch, tag or commit id", NULL, NULL },
	{ "https://example.com/o/r#HEAD~1", FERRY_EUSAGE, "malformed "
	  "--template 'https://example.com/o/r#HEAD~1': 'HEAD~1' is not a "
	  "branch, tag or commit id", NULL, NULL },
	{ "https://example.com/o/r#-x", FERRY_EUSAGE, "malformed "
	  "--template 'https://example.com/o/r#-x': '-x' is not a branch, "
	  "tag or commit id", NULL, NULL },
	{ "https://example.com/o r", FERRY_EUSAGE, "malformed --template "
	  "'https://example.com/o r': a space or control character at "
	  "offset 21", NULL, NULL },
	{ "gh:owner", FERRY_EUSAGE, "malformed --template 'gh:owner': "
	  "expected gh:OWNER/REPO", NULL, NULL },
	{ "gh:owner/repo/extra", FERRY_EUSAGE, "malformed --template "
	  "'gh:owner/repo/extra': expected gh:OWNER/REPO", NULL, NULL },
	{ "gh:/repo", FERRY_EUSAGE, "malformed --template 'gh:/repo': "
	  "expected gh:OWNER/REPO", NULL, NULL },
	{ "gh:o/..", FERRY_EUSAGE, "malformed --template 'gh:o/..': "
	  "expected gh:OWNER/REPO", NULL, NULL },
	{ "@host:path", FERRY_EUSAGE, "malformed --template '@host:path': "
	  "expected USER@HOST:PATH", NULL, NULL },
	{ "git@host:", FERRY_EUSAGE, "malformed --template 'git@host:': no "
	  "repository path", NULL, NULL },
	{ "node-http", FERRY_EUSAGE, "malformed --template 'node-http': not "
	  "a git source (use https://, http://, git://, ssh://, file://, "
	  "USER@HOST:PATH or gh:OWNER/REPO)", NULL, NULL },
	{ "./a@b:c", FERRY_EUSAGE, "malformed --template './a@b:c': not a "
	  "git source (use https://, http://, git://, ssh://, file://, "
	  "USER@HOST:PATH or gh:OWNER/REPO)", NULL, NULL },
	/* the credentials of a malformed spec are not shown either */
	{ "https://user:s3cret@example.com", FERRY_EUSAGE, "malformed "
	  "--template 'https://***@example.com': no repository path", NULL,
	  NULL },
};

static void test_parse(void **state)
{
	struct ferry_template_src s;
	struct ferry_error err;
	const struct parse_case *c;
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(*parse_cases);
	     i++) {
		c = &parse_cases[i];
		ferry_error_init(&err);
		ferry_template_src_init(&s);
		rc = ferry_template_src_parse(&s, c->spec, &err);
		if (rc != c->rc)
			fail_msg("'%s': rc %d, want %d (%s)", c->spec, rc, c->rc,
				 err.msg);
		if (rc) {
			assert_string_equal(err.msg, c->url);
			/* and the public entry point says the same */
			ferry_error_init(&err);
			assert_int_equal(ferry_template_fetch(NULL, NULL, NULL,
							      c->spec, &err),
					 c->rc);
			assert_string_equal(err.msg, c->url);
			continue;
		}
		assert_string_equal(s.url, c->url);
		if (c->ref)
			assert_string_equal(s.ref, c->ref);
		else
			assert_null(s.ref);
		if (c->subdir)
			assert_string_equal(s.subdir, c->subdir);
		else
			assert_null(s.subdir);
		/* every spec the parser takes is a git source for init */
		assert_int_equal(ferry_template_is_git(c->spec), 1);
		ferry_template_src_release(&s);
	}
	assert_int_equal(tmp_entries(), 0);
}

static void test_redact_url(void **state)
{
	struct ferry_template_src s;
	struct ferry_error err;

	(void)state;
	ferry_error_init(&err);
	assert_int_equal(ferry_template_src_parse(&s, "https://user:tok@"
						  "example.com/o/r#v1//t",
						  &err), 0);
	assert_string_equal(s.shown, "https://***@example.com/o/r");
	ferry_template_src_release(&s);
	/* a token as user name, and an '@' inside the password */
	assert_int_equal(ferry_template_src_parse(&s, "https://ghp_abc@"
						  "example.com/o/r", &err), 0);
	assert_string_equal(s.shown, "https://***@example.com/o/r");
	ferry_template_src_release(&s);
	assert_int_equal(ferry_template_src_parse(&s, "https://u:p@ss@"
						  "example.com/o/r", &err), 0);
	assert_string_equal(s.shown, "https://***@example.com/o/r");
	ferry_template_src_release(&s);
	/* nothing to hide */
	assert_int_equal(ferry_template_src_parse(&s, "gh:o/r", &err), 0);
	assert_string_equal(s.shown, "https://github.com/o/r.git");
	ferry_template_src_release(&s);
}

/* ---- fetching ---------------------------------------------------------- */

/*
 * Fetch `repo_url` + `suffix`; check the files of the result (NULL: must
 * be absent), that .git is gone, that the temporary directory is private
 * and the root lies in it; then remove it as the caller would.
 */
static void fetch_ok(const char *repo_url, const char *suffix,
		     const char *const *files)
{
	char *spec = ferry_xstrfmt("%s%s", repo_url, suffix);
	char *root = NULL, *tmp = NULL, *git_dir;
	struct ferry_error err;
	struct stat st;
	int rc, fd = -1;

	ferry_error_init(&err);
	rc = ferry_template_fetch(&root, &tmp, &fd, spec, &err);
	if (rc)
		fail_msg("'%s': %d %s", spec, rc, err.msg);
	/* held while in use: a sweep by another init leaves it alone */
	assert_true(fd >= 0);
	assert_int_equal(ferry_fs_sweep_abandoned(tmpdir, "ferry-template-",
						  0), 0);
	assert_true(ferry_fs_is_dir(tmp));
	for (size_t i = 0; files[i]; i += 2)
		assert_file(root, files[i], files[i + 1]);
	git_dir = ferry_path_join(tmp, ".git");
	assert_false(ferry_fs_exists(git_dir));
	free(git_dir);
	git_dir = ferry_path_join(root, ".git");
	assert_false(ferry_fs_exists(git_dir));
	free(git_dir);
	assert_int_equal(stat(tmp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(strncmp(tmp, tmpdir, strlen(tmpdir)), 0);
	assert_int_equal(strncmp(root, tmp, strlen(tmp)), 0);
	assert_int_equal(ferry_fs_remove_tree(tmp, &err), 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(tmp_entries(), 0);
	free(root);
	free(tmp);
	free(spec);
}

/* Fetch that must fail with `rc` and exactly `msg`, leaving nothing. */
static void fetch_fails(const char *spec, int want, const char *msg)
{
	char *root = NULL, *tmp = NULL;
	struct ferry_error err;
	int rc, fd = -1;

	ferry_error_init(&err);
	rc = ferry_template_fetch(&root, &tmp, &fd, spec, &err);
	if (rc != want)
		fail_msg("'%s': rc %d, want %d (%s)", spec, rc, want, err.msg);
	if (strncmp(err.msg, msg, strlen(msg)))
		fail_msg("'%s': message '%s', want '%s...'", spec, err.msg,
			 msg);
	assert_null(root);
	assert_null(tmp);
	assert_int_equal(fd, -1);
	assert_int_equal(tmp_entries(), 0);
}

/* The whole matrix against the repository served at `url`. */
static void check_transport(const char *url)
{
	const char *const main_files[] = {
		"README.md", "v2\n", "main-only.txt", "main\n",
		"tpl/ferry.yaml", "two\n", "tpl/alias", "two\n",
		"next.txt", NULL, NULL,
	};
	const char *const v1_files[] = {
		"README.md", "v1\n", "tpl/ferry.yaml", "one\n",
		"main-only.txt", NULL, "next.txt", NULL, NULL,
	};
	const char *const next_files[] = {
		"README.md", "v1\n", "next.txt", "next\n",
		"main-only.txt", NULL, NULL,
	};
	const char *const tpl_main[] = {
		"ferry.yaml", "two\n", "alias", "two\n", "README.md", NULL,
		NULL,
	};
	const char *const tpl_v1[] = {
		"ferry.yaml", "one\n", "README.md", NULL, NULL,
	};
	char *s, *msg, *shown_sha;

	fetch_ok(url, "", main_files);
	fetch_ok(url, "#main", main_files);
	fetch_ok(url, "#v1", v1_files);
	fetch_ok(url, "#next", next_files);
	s = ferry_xstrfmt("#%s", sha_v1);
	fetch_ok(url, s, v1_files);
	free(s);
	s = ferry_xstrfmt("#%.7s", sha_main);
	fetch_ok(url, s, main_files);
	free(s);
	fetch_ok(url, "//tpl", tpl_main);
	fetch_ok(url, "//tpl/", tpl_main);
	fetch_ok(url, "#v1//tpl", tpl_v1);
	fetch_ok(url, "#next//tpl", tpl_v1);
	s = ferry_xstrfmt("#%s//tpl", sha_main);
	fetch_ok(url, s, tpl_main);
	free(s);

	s = ferry_xstrfmt("%s#nope", url);
	msg = ferry_xstrfmt("no ref 'nope' in '%s'", url);
	fetch_fails(s, FERRY_ENOTFOUND, msg);
	free(s);
	free(msg);
	/* a well-formed id that is no commit of the repository */
	shown_sha = ferry_xstrfmt("%s#%s", url,
				  "0000000000000000000000000000000000000001");
	msg = ferry_xstrfmt("no ref '%s' in '%s'",
			    "0000000000000000000000000000000000000001", url);
	fetch_fails(shown_sha, FERRY_ENOTFOUND, msg);
	free(shown_sha);
	free(msg);
	s = ferry_xstrfmt("%s#v1//nope", url);
	msg = ferry_xstrfmt("no directory 'nope' in '%s' at 'v1'", url);
	fetch_fails(s, FERRY_ENOTFOUND, msg);
	free(s);
	free(msg);
	s = ferry_xstrfmt("%s//README.md", url);
	msg = ferry_xstrfmt("no directory 'README.md' in '%s' at 'HEAD'", url);
	fetch_fails(s, FERRY_ENOTFOUND, msg);
	free(s);
	free(msg);
}

static void test_file(void **state)
{
	char *url = ferry_xstrfmt("file://%s/tpl.git", srv);
	char *bad = ferry_xstrfmt("file://%s/missing.git", srv);
	char *msg = ferry_xstrfmt("template repository '%s' not found (", bad);

	(void)state;
	check_transport(url);
	fetch_fails(bad, FERRY_ENOTFOUND, msg);
	free(url);
	free(bad);
	free(msg);

	/* an empty repository has nothing to check out */
	bad = ferry_path_join(srv, "empty.git");
	assert_int_equal(git(base, NULL, "init", "-q", "--bare", bad, NULL), 0);
	free(bad);
	bad = ferry_xstrfmt("file://%s/empty.git", srv);
	msg = ferry_xstrfmt("template repository '%s' has no commit on its "
			    "default branch", bad);
	fetch_fails(bad, FERRY_ENOTFOUND, msg);
	free(bad);
	free(msg);
}

static void test_git_daemon(void **state)
{
	char *url = ferry_xstrfmt("git://127.0.0.1:%d/tpl.git", daemon_port);
	char *bad = ferry_xstrfmt("git://127.0.0.1:%d/missing.git",
				  daemon_port);
	char *msg = ferry_xstrfmt("template repository '%s' not found (", bad);

	(void)state;
	check_transport(url);
	fetch_fails(bad, FERRY_ENOTFOUND, msg);
	free(url);
	free(bad);
	free(msg);
}

static void test_smart_http(void **state)
{
	char *url, *bad, *msg;

	(void)state;
	if (!httpd_pid) {
		fprintf(stderr, "lighttpd or git-http-backend missing "
			"(scripts/setup.sh installs them)\n");
		skip();
	}
	url = ferry_xstrfmt("http://127.0.0.1:%d/git/tpl.git", httpd_port);
	bad = ferry_xstrfmt("http://127.0.0.1:%d/git/missing.git", httpd_port);
	msg = ferry_xstrfmt("template repository '%s' not found (", bad);
	check_transport(url);
	fetch_fails(bad, FERRY_ENOTFOUND, msg);
	free(url);
	free(bad);
	free(msg);
}

static void test_cannot_connect(void **state)
{
	int port = free_port();	/* nobody listens there */
	char *git_url = ferry_xstrfmt("git://127.0.0.1:%d/tpl.git", port);
	char *http_url = ferry_xstrfmt("http://127.0.0.1:%d/git/tpl.git", port);
	char *msg;

	(void)state;
	msg = ferry_xstrfmt("template repository '%s' not found (", git_url);
	fetch_fails(git_url, FERRY_ENOTFOUND, msg);
	free(msg);
	msg = ferry_xstrfmt("template repository '%s' not found (", http_url);
	fetch_fails(http_url, FERRY_ENOTFOUND, msg);
	free(msg);
	free(git_url);
	free(http_url);
}

static void test_symlinks(void **state)
{
	char *url = ferry_xstrfmt("git://127.0.0.1:%d/evil.git", daemon_port);
	char *s, *msg;
	const char *const ok_files[] = { "ferry.yaml", "fine\n", NULL };

	(void)state;
	/* tpl/up -> ../README.md stays in the repository, not the template */
	s = ferry_xstrfmt("%s//tpl", url);
	msg = ferry_xstrfmt("template '%s' has a symbolic link 'up' to "
			    "'../README.md', outside the template", url);
	fetch_fails(s, FERRY_ECONFIG, msg);
	free(s);
	free(msg);
	/* at the root: abs -> /etc/hostname or out -> /etc */
	msg = ferry_xstrfmt("template '%s' has a symbolic link '", url);
	fetch_fails(url, FERRY_ECONFIG, msg);
	free(msg);
	/* a SUBDIR that is a link leaving the repository */
	s = ferry_xstrfmt("%s//out", url);
	msg = ferry_xstrfmt("directory 'out' in '%s' is a symbolic link "
			    "leaving the repository", url);
	fetch_fails(s, FERRY_ECONFIG, msg);
	free(s);
	free(msg);
	/* one within the repository is followed */
	fetch_ok(url, "//okalias", ok_files);
	fetch_ok(url, "//ok", ok_files);
	free(url);
}

static void test_credentials_hidden(void **state)
{
	char *s, *msg;
	int port = httpd_pid ? httpd_port : free_port();

	(void)state;
	/* git-http-backend ignores the credentials: the ref is what fails */
	s = ferry_xstrfmt("http://alice:t0ps3cret@127.0.0.1:%d/git/tpl.git"
			  "#nope", port);
	msg = ferry_xstrfmt(httpd_pid ? "no ref 'nope' in 'http://***@"
			    "127.0.0.1:%d/git/tpl.git'" : "template repository "
			    "'http://***@127.0.0.1:%d/git/tpl.git' not found (",
			    port);
	fetch_fails(s, FERRY_ENOTFOUND, msg);
	free(s);
	free(msg);
	/* nothing listens: libgit2's own reason must not leak them either */
	s = ferry_xstrfmt("http://alice:t0ps3cret@127.0.0.1:%d/x.git",
			  free_port());
	{
		struct ferry_error err;
		char *root = NULL, *tmp = NULL;
		int fd = -1;

		ferry_error_init(&err);
		assert_int_equal(ferry_template_fetch(&root, &tmp, &fd, s,
						      &err),
				 FERRY_ENOTFOUND);
		assert_null(strstr(err.msg, "t0ps3cret"));
		assert_null(strstr(err.msg, "alice"));
		assert_non_null(strstr(err.msg, "http://***@127.0.0.1:"));
	}
	free(s);
	assert_int_equal(tmp_entries(), 0);
}

/* A server that answers 401 to everything: exit 4, credentials hidden. */
static void test_auth_refused(void **state)
{
	static const char script[] =
		"import http.server, sys\n"
		"class H(http.server.BaseHTTPRequestHandler):\n"
		"    def do_GET(self):\n"
		"        self.send_response(401)\n"
		"        self.send_header('WWW-Authenticate', 'Basic realm=\"t\"')\n"
		"        self.send_header('Content-Length', '0')\n"
		"        self.end_headers()\n"
		"    do_POST = do_GET\n"
		"    def log_message(self, *a): pass\n"
		"http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H)"
		".serve_forever()\n";
	char port[16], *log = ferry_path_join(base, "auth.log");
	const char *argv[] = { "python3", "-c", script, port, NULL };
	int p = free_port();
	pid_t pid;
	char *s, *msg;

	(void)state;
	snprintf(port, sizeof(port), "%d", p);
	pid = spawn(argv, log);
	if (!wait_port(p))
		fail_msg("the 401 server did not start (see %s)", log);
	s = ferry_xstrfmt("http://127.0.0.1:%d/t.git", p);
	msg = ferry_xstrfmt("template repository '%s' denied access (", s);
	fetch_fails(s, FERRY_EAUTH, msg);
	free(s);
	free(msg);
	s = ferry_xstrfmt("http://bob:wr0ng@127.0.0.1:%d/t.git#v1//tpl", p);
	msg = ferry_xstrfmt("template repository 'http://***@127.0.0.1:%d/"
			    "t.git' denied access (", p);
	fetch_fails(s, FERRY_EAUTH, msg);
	free(s);
	free(msg);
	stop(&pid);
	free(log);
}

/* Ctrl-C during the transfer: FERRY_EINTR, no temporary directory left. */
static void test_interrupt(void **state)
{
	char *url = ferry_xstrfmt("git://127.0.0.1:%d/tpl.git", daemon_port);
	int status;
	pid_t pid;

	(void)state;
	/* the cancel flag cannot be cleared: request it in a child */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ferry_error err;
		char *root = NULL, *tmp = NULL;
		int rc, fd = -1;

		ferry_error_init(&err);
		ferry_cancel_request();
		rc = ferry_template_fetch(&root, &tmp, &fd, url, &err);
		_exit(rc == FERRY_EINTR && !strcmp(err.msg, "interrupted") &&
		      !root && !tmp && tmp_entries() == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_redact_url),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_git_daemon),
		cmocka_unit_test(test_smart_http),
		cmocka_unit_test(test_cannot_connect),
		cmocka_unit_test(test_symlinks),
		cmocka_unit_test(test_credentials_hidden),
		cmocka_unit_test(test_auth_refused),
		cmocka_unit_test(test_interrupt),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
