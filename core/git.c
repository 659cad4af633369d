/*
 * git.c - what ferry asks of git, through libgit2: the commit, branch and
 * dirty state of HEAD (for `${git:...}` variables and release records), and
 * a one-shot clone of a template repository into a fresh directory, with
 * the ssh host key checked against known_hosts (core/known_hosts.c).
 * This is the only module that includes <git2.h>; libgit2 is initialised
 * once, on first use. It never pushes or writes to existing repositories.
 */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <git2.h>

#include "ferry/buf.h"
#include "ferry/cancel.h"
#include "ferry/error.h"
#include "ferry/git.h"
#include "ferry/known_hosts.h"
#include "ferry/lazy.h"

/*
 * libgit2 is loaded on first use (ferry/lazy.h): it brings about fifteen
 * shared objects that commands without ${git:...} should not pay for at
 * start-up. Every function used is listed here and called through p_.
 */
/* clang-format off */
#define GIT2_FUNCS(X) \
	X(git_libgit2_init) \
	X(git_error_last) \
	X(git_status_options_init) \
	X(git_repository_is_bare) \
	X(git_status_list_new) \
	X(git_status_list_entrycount) \
	X(git_status_list_free) \
	X(git_repository_open_ext) \
	X(git_repository_head) \
	X(git_reference_peel) \
	X(git_oid_tostr) \
	X(git_object_id) \
	X(git_repository_head_detached) \
	X(git_reference_shorthand) \
	X(git_object_free) \
	X(git_reference_free) \
	X(git_repository_free) \
	X(git_clone_options_init) \
	X(git_clone) \
	X(git_reference_lookup) \
	X(git_revparse_single) \
	X(git_object_peel) \
	X(git_checkout_options_init) \
	X(git_checkout_tree) \
	X(git_credential_ssh_key_from_agent) \
	X(git_credential_username_new)

#define DECLARE(f) static __typeof__(f) *p_##f;
GIT2_FUNCS(DECLARE)
#undef DECLARE

#define SYMBOL(f) { #f, (void **)&p_##f },
static const struct ferry_lazy_sym git2_syms[] = {
	GIT2_FUNCS(SYMBOL)
	{ NULL, NULL },
};
#undef SYMBOL

static struct ferry_lazy_lib git2_lib = {
	FERRY_SONAME_GIT2, git2_syms, 0, NULL,
};
/* clang-format on */

/*
 * libgit2 1.5 leaks one pcre2 match block whenever a regular expression
 * does not match (libgit2/libgit2#6382, fixed in 1.6), and
 * git_remote_create() matches a few per clone against the configuration.
 * In sanitizer builds, tell LeakSanitizer to ignore blocks allocated inside
 * pcre2 (ferry itself never calls it), so ASan runs still fail on ferry's
 * own leaks.
 */
#if defined(__SANITIZE_ADDRESS__)
#define FERRY_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FERRY_LSAN 1
#endif
#endif
#ifdef FERRY_LSAN
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libpcre2-8.so\n";
}

/* and without the "Suppressions used" table on stderr at every exit */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

/*
 * libgit2 1.5.1 (Debian 12) leaks on every ssh connection: the two path
 * strings of its known_hosts loader (git_str_clear where git_str_dispose
 * was meant, fixed in 1.5.2) and, when the connection succeeds, the
 * libssh2 known_hosts list. Their stacks end in unnamed libgit2 frames
 * that no suppression can name, so LeakSanitizer is told to ignore what
 * an ssh clone allocates, and only that: other transports stay checked,
 * and core/known_hosts.c, which runs inside it, has its own unit test.
 */
#if LIBGIT2_VER_MAJOR == 1 && LIBGIT2_VER_MINOR == 5 && \
	LIBGIT2_VER_REVISION < 2
#include <sanitizer/lsan_interface.h>
#define FERRY_LSAN_SSH 1
#endif
#endif

static const char *git_msg(void)
{
	const git_error *e = p_git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

static int git_ready;	/* 1 once libgit2 is loaded and initialised */

/* Load and initialise libgit2 once. */
static int git_init(struct ferry_error *err)
{
	int rc;

	if (git_ready)
		return 0;
	rc = ferry_lazy_load(&git2_lib, err);
	if (rc)
		return rc;
	if (p_git_libgit2_init() < 0)
		return ferry_error_set(err, FERRY_EFAIL,
				       "cannot initialise libgit2: %s", git_msg());
	git_ready = 1;
	return 0;
}

/* 1 if any tracked file differs from HEAD (index or work tree). */
static int is_dirty(git_repository *repo, int *dirty, struct ferry_error *err)
{
	git_status_options opts;
	git_status_list *list = NULL;
	int rc;

	rc = p_git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	if (rc < 0)
		return ferry_error_set(err, FERRY_EFAIL,
				       "cannot read git status: %s", git_msg());

	if (p_git_repository_is_bare(repo)) {
		*dirty = 0;
		return 0;
	}
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	opts.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	rc = p_git_status_list_new(&list, repo, &opts);
	if (rc < 0)
		return ferry_error_set(err, FERRY_EFAIL,
				       "cannot read git status: %s", git_msg());
	*dirty = p_git_status_list_entrycount(list) > 0;
	p_git_status_list_free(list);
	return 0;
}

int ferry_git_head(struct ferry_git_head *out, const char *dir,
		   struct ferry_error *err)
{
	git_repository *repo = NULL;
	git_reference *head = NULL;
	git_object *commit = NULL;
	struct ferry_git_head h;
	int rc;

	memset(&h, 0, sizeof(h));
	rc = git_init(err);
	if (rc)
		return rc;
	if (!dir)
		dir = ".";
	rc = p_git_repository_open_ext(&repo, dir, 0, NULL);
	if (rc == GIT_ENOTFOUND) {
		rc = ferry_error_set(err, FERRY_ENOTFOUND,
				     "'%s' is not inside a git repository",
				     dir);
		goto out;
	}
	if (rc < 0) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "cannot open the git repository of '%s': %s",
				     dir, git_msg());
		goto out;
	}
	rc = p_git_repository_head(&head, repo);
	if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND) {
		rc = ferry_error_set(err, FERRY_ENOTFOUND, "the git repository "
				     "of '%s' has no commit yet", dir);
		goto out;
	}
	if (rc < 0) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "cannot read git HEAD in '%s': %s", dir,
				     git_msg());
		goto out;
	}
	rc = p_git_reference_peel(&commit, head, GIT_OBJECT_COMMIT);
	if (rc < 0) {
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "git HEAD in '%s' is not a commit: %s", dir,
				     git_msg());
		goto out;
	}
	p_git_oid_tostr(h.sha, sizeof(h.sha), p_git_object_id(commit));
	if (!p_git_repository_head_detached(repo)) {
		h.branch = ferry_strdup(p_git_reference_shorthand(head));
		if (!h.branch) {
			rc = ferry_error_set(err, FERRY_ENOMEM,
					     "out of memory");
			goto out;
		}
	}
	rc = is_dirty(repo, &h.dirty, err);
	if (rc < 0) {
		free(h.branch);
		goto out;
	}
	*out = h;
out:
	p_git_object_free(commit);
	p_git_reference_free(head);
	p_git_repository_free(repo);
	return rc;
}

void ferry_git_head_release(struct ferry_git_head *h)
{
	if (!h)
		return;
	free(h->branch);
	h->branch = NULL;
}

/* Where the userinfo of a "scheme://userinfo@host/..." URL starts and ends. */
static int find_userinfo(const char *url, size_t *start, size_t *end)
{
	const char *auth = strstr(url, "://");
	size_t n, at = 0;
	int found = 0;

	if (!auth)
		return 0;
	auth += 3;
	n = strcspn(auth, "/?#");
	/* the last '@' of the authority: a password may hold an '@' */
	for (size_t i = 0; i < n; i++)
		if (auth[i] == '@') {
			at = i;
			found = 1;
		}
	if (!found)
		return 0;
	*start = (size_t)(auth - url);
	*end = *start + at;
	return 1;
}

char *ferry_git_url_redact(const char *url)
{
	size_t start, end;

	if (!find_userinfo(url, &start, &end))
		return ferry_strdup(url);
	return ferry_xstrfmt("%.*s***%s", (int)start, url, url + end);
}

/* `msg` with every occurrence of `secret` (if any) replaced by "***". */
static char *scrub(const char *msg, const char *secret, size_t slen)
{
	struct ferry_buf b = FERRY_BUF_INIT;
	const char *p = msg, *hit;

	while (slen && (hit = strstr(p, secret))) {
		if (ferry_buf_add(&b, p, (size_t)(hit - p)) ||
		    ferry_buf_addstr(&b, "***"))
			goto fail;
		p = hit + slen;
	}
	if (ferry_buf_addstr(&b, p))
		goto fail;
	return ferry_buf_detach(&b);
fail:
	ferry_buf_release(&b);
	return NULL;
}

struct clone_ctx {
	const char *shown;	/* borrowed: the URL for messages */
	unsigned port;		/* the ssh port of the URL (22 by default) */
	int cancelled;		/* 1 once a callback saw ferry_cancelled() */
	int cred_tries;		/* credential callback calls so far */
	struct ferry_error why;	/* what a callback refused, if it did */
};

/*
 * The port of "ssh://[user@]host[:port]/path" (any "scheme://" form); 22
 * for the scp form "user@host:path", which cannot name one. libgit2 hands
 * the certificate callback the host without its port, and known_hosts
 * names a host on another port "[host]:port".
 */
static unsigned url_port(const char *url)
{
	const char *auth = strstr(url, "://"), *host, *end, *colon;
	size_t start, stop;
	unsigned long port;
	char *num_end;

	if (!auth)
		return 22;
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	host = find_userinfo(url, &start, &stop) ? url + stop + 1 : auth;
	if (*host == '[') {
		host = memchr(host, ']', (size_t)(end - host));
		if (!host)
			return 22;
	}
	colon = memchr(host, ':', (size_t)(end - host));
	if (!colon || !isdigit((unsigned char)colon[1]))
		return 22;
	port = strtoul(colon + 1, &num_end, 10);
	if (num_end != end || !port || port > 65535)
		return 22;
	return (unsigned)port;
}

#ifdef FERRY_LSAN_SSH
/* 1 if libgit2 takes `url` over ssh (ssh://, scp form, ...). */
static int is_ssh_url(const char *url)
{
	size_t n = strcspn(url, ":/");

	if (strstr(url, "://"))
		return !strncmp(url, "ssh://", 6) ||
		       !strncmp(url, "ssh+git://", 10) ||
		       !strncmp(url, "git+ssh://", 10);
	return n && url[n] == ':';
}
#endif

/* Around an ssh clone in sanitizer builds: see FERRY_LSAN_SSH above. */
static void lsan_ssh(const char *url, int begin)
{
#ifdef FERRY_LSAN_SSH
	if (!is_ssh_url(url))
		return;
	if (begin)
		__lsan_disable();
	else
		__lsan_enable();
#else
	(void)url;
	(void)begin;
#endif
}

/* Transfer and sideband callbacks: abort the transfer on Ctrl-C. */
static int on_transfer(const git_indexer_progress *stats, void *payload)
{
	struct clone_ctx *c = payload;

	(void)stats;
	if (!ferry_cancelled())
		return 0;
	c->cancelled = 1;
	return GIT_EUSER;
}

static int on_sideband(const char *str, int len, void *payload)
{
	(void)str;
	(void)len;
	return on_transfer(NULL, payload);
}

/*
 * 0 if something accepts connections on the unix socket `path`, else an
 * errno value. libssh2 reports a dead agent as a generic failure, which
 * would read as "repository not found".
 */
static int agent_unreachable(const char *path)
{
	struct sockaddr_un sa;
	size_t n = strlen(path);
	int fd, e = 0;

	if (n >= sizeof(sa.sun_path))
		return ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n + 1);
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)))
		e = errno;
	close(fd);
	return e;
}

/*
 * The user of an ssh URL without one: the local login name, as ssh and
 * git use (`git clone ssh://host/path` logs in as you).
 */
static int login_name(git_credential **out)
{
	char buf[4096];
	struct passwd pw, *found = NULL;
	const char *name = NULL;

	if (!getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &found) && found)
		name = found->pw_name;
	if (!name || !*name)
		name = getenv("USER");
	if (!name || !*name)
		return GIT_PASSTHROUGH;
	return p_git_credential_username_new(out, name);
}

/*
 * Credentials: https userinfo in the URL is used by libgit2 itself; for ssh,
 * the user is the URL's or the local login name, and the key comes from
 * the ssh agent, asked once (a second call means its keys were refused, and
 * asking again would loop forever). libgit2's own words for both cases
 * ("authentication required but no callback set") would not help.
 */
static int on_credentials(git_credential **out, const char *url,
			  const char *user, unsigned int allowed, void *payload)
{
	struct clone_ctx *c = payload;
	const char *sock = getenv("SSH_AUTH_SOCK");
	int e;

	(void)url;
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return login_name(out);
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY))
		return GIT_PASSTHROUGH;
	if (c->cred_tries++) {
		ferry_error_set(&c->why, FERRY_EAUTH, "repository '%s' denied "
				"access: the ssh server accepted none of the "
				"keys of the ssh agent; add your public key "
				"to the server, or add the right key to the "
				"agent (ssh-add; ssh-add -l lists them)",
				c->shown);
		return GIT_EAUTH;
	}
	if (!sock || !*sock) {
		ferry_error_set(&c->why, FERRY_EAUTH, "repository '%s' denied "
				"access: ssh takes keys from an ssh agent, "
				"and SSH_AUTH_SOCK is not set; start one and "
				"add your key (eval \"$(ssh-agent)\"; ssh-add)",
				c->shown);
		return GIT_EAUTH;
	}
	e = agent_unreachable(sock);
	if (e) {
		ferry_error_errno(&c->why, FERRY_EAUTH, e, "repository '%s' "
				  "denied access: cannot reach the ssh agent "
				  "at SSH_AUTH_SOCK '%s'", c->shown, sock);
		return GIT_EAUTH;
	}
	return p_git_credential_ssh_key_from_agent(out, user ? user : "git");
}

/*
 * Host keys, checked here as ssh would, before any credential is offered;
 * this verdict replaces libgit2's. libgit2 1.5.0 and older accept any key
 * unless this callback refuses it; 1.5.1 (CVE-2023-22742) reads only
 * ~/.ssh/known_hosts, through libssh2, which knows no wildcards, negation,
 * @revoked or system file, and reports every refusal as "invalid or
 * unknown remote ssh hostkey". Other certificates (https) are left to
 * libgit2's own checks.
 */
static int on_certificate(git_cert *cert, int valid, const char *host,
			  void *payload)
{
	struct clone_ctx *c = payload;
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;

	(void)valid;
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return GIT_PASSTHROUGH;
	if (!host)
		host = "";
	if (!(hk->type & GIT_CERT_SSH_RAW) || !hk->hostkey ||
	    !hk->hostkey_len) {
		ferry_error_set(&c->why, FERRY_EAUTH, "ssh host %s did not "
				"show its host key, so it cannot be checked",
				host);
		return GIT_ECERTIFICATE;
	}
	if (ferry_known_hosts_verify(host, c->port, hk->hostkey,
				     hk->hostkey_len, NULL, &c->why))
		return GIT_ECERTIFICATE;
	return 0;
}

/* 1 if `ref` could be a (possibly abbreviated) commit id. */
static int is_hex_id(const char *ref)
{
	size_t n = strspn(ref, "0123456789abcdefABCDEF");

	return n >= 4 && n <= 40 && !ref[n];
}

/*
 * The commit `ref` names in a fresh clone: a branch of the remote first,
 * then a tag, then a commit id. GIT_ENOTFOUND when none matches.
 */
static int resolve_ref(git_object **out, git_repository *repo,
		       const char *ref)
{
	static const char *const forms[] = {
		"refs/remotes/origin/%s", "refs/tags/%s", NULL,
	};
	git_reference *r = NULL;
	git_object *obj = NULL;
	char *name;
	int rc;

	for (size_t i = 0; forms[i]; i++) {
		name = ferry_xstrfmt(forms[i], ref);
		if (!name)
			return GIT_ERROR;
		rc = p_git_reference_lookup(&r, repo, name);
		free(name);
		if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC)
			continue;
		if (rc < 0)
			return rc;
		rc = p_git_reference_peel(out, r, GIT_OBJECT_COMMIT);
		p_git_reference_free(r);
		return rc;
	}
	if (!is_hex_id(ref))
		return GIT_ENOTFOUND;
	rc = p_git_revparse_single(&obj, repo, ref);
	if (rc < 0)
		return rc == GIT_EAMBIGUOUS ? rc : GIT_ENOTFOUND;
	rc = p_git_object_peel(out, obj, GIT_OBJECT_COMMIT);
	p_git_object_free(obj);
	return rc < 0 ? GIT_ENOTFOUND : rc;
}

/* libgit2's last message without the URL's credentials; owned. */
static char *clone_reason(const char *url)
{
	size_t start, end;
	char *secret, *msg;

	if (!find_userinfo(url, &start, &end))
		return ferry_strdup(git_msg());
	secret = ferry_xstrfmt("%.*s", (int)(end - start), url + start);
	if (!secret)
		return NULL;
	msg = scrub(git_msg(), secret, strlen(secret));
	free(secret);
	return msg;
}

/* Map a failed git_clone() to a ferry error naming the shown URL. */
static int clone_error(int rc, const struct clone_ctx *c, const char *url,
		       const char *shown, struct ferry_error *err)
{
	char *why;

	if (c->cancelled || ferry_cancelled())
		return ferry_error_set(err, FERRY_EINTR, "interrupted");
	/* a callback's own reason is more precise than libgit2's */
	if (c->why.code)
		return ferry_error_set(err, c->why.code, "%s", c->why.msg);
	why = clone_reason(url);
	if (!why)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	if (rc == GIT_EAUTH)
		rc = ferry_error_set(err, FERRY_EAUTH, "repository '%s' denied "
				     "access (%s); put credentials in the URL "
				     "(https://USER:TOKEN@HOST/...) or use ssh "
				     "with an agent", shown, why);
	else if (rc == GIT_ECERTIFICATE)
		rc = ferry_error_set(err, FERRY_EFAIL, "cannot verify the "
				     "certificate of '%s' (%s)", shown, why);
	else
		rc = ferry_error_set(err, FERRY_ENOTFOUND,
				     "repository '%s' not found (%s)", shown,
				     why);
	free(why);
	return rc;
}

int ferry_git_clone(const char *dir, const char *url, const char *ref,
		    struct ferry_error *err)
{
	git_clone_options copts;
	git_checkout_options co;
	git_repository *repo = NULL;
	git_reference *head = NULL;
	git_object *commit = NULL;
	struct clone_ctx ctx;
	char *shown = NULL;
	int rc;

	rc = git_init(err);
	if (rc)
		return rc;
	shown = ferry_git_url_redact(url);
	if (!shown) {
		rc = ferry_error_set(err, FERRY_ENOMEM, "out of memory");
		goto out;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.shown = shown;
	ctx.port = url_port(url);
	ferry_error_init(&ctx.why);
	if (p_git_clone_options_init(&copts, GIT_CLONE_OPTIONS_VERSION) < 0 ||
	    p_git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION) < 0) {
		rc = ferry_error_set(err, FERRY_EFAIL, "cannot set up a clone: "
				     "%s", git_msg());
		goto out;
	}
	/*
	 * Fetch only: the work tree is written below, once the ref is known.
	 * libgit2 never runs hooks (it has no hook support at all), so a
	 * template repository cannot run code on this machine.
	 */
	copts.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE;
	copts.fetch_opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
	copts.fetch_opts.callbacks.transfer_progress = on_transfer;
	copts.fetch_opts.callbacks.sideband_progress = on_sideband;
	copts.fetch_opts.callbacks.credentials = on_credentials;
	copts.fetch_opts.callbacks.certificate_check = on_certificate;
	copts.fetch_opts.callbacks.payload = &ctx;
#if LIBGIT2_VER_MAJOR > 1 || (LIBGIT2_VER_MAJOR == 1 && LIBGIT2_VER_MINOR >= 7)
	/*
	 * Shallow fetches arrived in libgit2 1.7. Only for the remote's HEAD:
	 * an older tag or commit id may lie below depth 1, and the local
	 * transport (file://) refuses shallow fetches.
	 */
	if (!ref && strncmp(url, "file://", 7))
		copts.fetch_opts.depth = 1;
#endif
	lsan_ssh(url, 1);
	rc = p_git_clone(&repo, url, dir, &copts);
	lsan_ssh(url, 0);
	if (rc < 0) {
		rc = clone_error(rc, &ctx, url, shown, err);
		goto out;
	}
	rc = ferry_cancel_check(err);
	if (rc)
		goto out;
	if (!ref) {
		rc = p_git_repository_head(&head, repo);
		if (rc == 0)
			rc = p_git_reference_peel(&commit, head,
						  GIT_OBJECT_COMMIT);
		if (rc < 0) {
			rc = ferry_error_set(err, FERRY_ENOTFOUND,
					     "repository '%s' has no commit on "
					     "its default branch", shown);
			goto out;
		}
	} else {
		rc = resolve_ref(&commit, repo, ref);
		if (rc == GIT_EAMBIGUOUS) {
			rc = ferry_error_set(err, FERRY_EUSAGE, "ref '%s' is an "
					     "ambiguous commit id in '%s'",
					     ref, shown);
			goto out;
		}
		if (rc < 0) {
			rc = ferry_error_set(err, FERRY_ENOTFOUND,
					     "no ref '%s' in '%s'", ref, shown);
			goto out;
		}
	}
	/*
	 * The work tree is empty, so force every file of the commit into it;
	 * no index is written: the caller keeps the files, not the repository.
	 */
	co.checkout_strategy = GIT_CHECKOUT_FORCE |
			       GIT_CHECKOUT_RECREATE_MISSING |
			       GIT_CHECKOUT_DONT_WRITE_INDEX;
	rc = p_git_checkout_tree(repo, commit, &co);
	if (rc < 0) {
		rc = ferry_error_set(err, FERRY_EFAIL, "cannot check out '%s' "
				     "of '%s': %s", ref ? ref : "HEAD", shown,
				     git_msg());
		goto out;
	}
	rc = ferry_cancel_check(err);
out:
	p_git_object_free(commit);
	p_git_reference_free(head);
	p_git_repository_free(repo);
	free(shown);
	return rc;
}
