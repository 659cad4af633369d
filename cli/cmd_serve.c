/*
 * cmd_serve.c - `ferry serve [--port N]`: the local HTTP gateway. Serves
 * every http event of the live release of the local provider on
 * 127.0.0.1 through libmicrohttpd (loaded on first use, like the other
 * heavy libraries, so that `ferry version` never maps it).
 *
 * Each request re-reads the live pointer (two small files): after a
 * deploy or rollback the route table is rebuilt from the new release, and
 * the provider's warm processes of changed functions are replaced on their
 * next call. Routing, events and responses are core/gateway.c; running
 * handlers (warm) is the provider's invoke_warm. One log line per request
 * goes to stderr. Ctrl-C stops accepting, cuts running calls, stops every
 * handler process and exits 130.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "cli.h"
#include "ferry/cancel.h"
#include "ferry/gateway.h"
#include "ferry/lazy.h"
#include "ferry/release.h"

/* clang-format off */
#define MHD_FUNCS(X) \
	X(MHD_add_response_header) \
	X(MHD_create_response_from_buffer) \
	X(MHD_destroy_response) \
	X(MHD_get_connection_info) \
	X(MHD_get_connection_values) \
	X(MHD_queue_response) \
	X(MHD_start_daemon) \
	X(MHD_stop_daemon)

#define DECLARE(f) static __typeof__(f) *p_##f;
MHD_FUNCS(DECLARE)
#undef DECLARE

#define SYMBOL(f) { #f, (void **)&p_##f },
static const struct ferry_lazy_sym mhd_syms[] = {
	MHD_FUNCS(SYMBOL)
	{ NULL, NULL },
};
#undef SYMBOL

static struct ferry_lazy_lib mhd_lib = {
	FERRY_SONAME_MHD, mhd_syms, 0, NULL,
};
/* clang-format on */

#define DEFAULT_PORT 3000
/* Largest request body, as on Lambda (6 MB payloads). */
#define BODY_MAX (6u << 20)

static const struct ferry_opt opts[] = {
	{ "port", 0, "N", "port on 127.0.0.1 (default: 3000; 0: any free port, printed)", FERRY_COMPLETE_NONE },
	{ NULL, 0, NULL, NULL, FERRY_COMPLETE_NONE },
};

/* A route table with the release it was built from, shared by requests. */
struct table {
	struct ferry_routes routes;
	unsigned release;
	int refs;		/* guarded by serve.lock */
};

struct serve {
	struct ferry_ctx *ctx;		/* borrowed */
	pthread_mutex_t lock;		/* guards `current` and its refs */
	struct table *current;		/* owned ref; NULL: nothing deployed */
	atomic_ulong seq;		/* request ids */
};

/* One request being received. */
struct request {
	struct ferry_buf body;
	int too_big;
};

static void table_put(struct serve *s, struct table *t)
{
	int last;

	if (!t)
		return;
	pthread_mutex_lock(&s->lock);
	last = --t->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last) {
		ferry_routes_release(&t->routes);
		free(t);
	}
}

/* The http events of `name` at version `v`: recorded, else the manifest's. */
static int events_of(struct ferry_strvec *out, struct serve *s,
		     const char *name, const struct ferry_version *v,
		     struct ferry_error *err)
{
	struct ferry_provider *p = &s->ctx->prov;
	const struct ferry_function *fn;
	size_t i;
	int rc = FERRY_ENOTFOUND;

	if (p->ops->http_events)
		rc = p->ops->http_events(p, v, out, err);
	if (rc != FERRY_ENOTFOUND)
		return rc;
	ferry_error_clear(err);
	fn = ferry_config_function(s->ctx->cfg, name);
	for (i = 0; fn && i < fn->events_nr; i++)
		if (fn->events[i].type == FERRY_EVENT_HTTP &&
		    ferry_strvec_pushf(out, "%s %s", fn->events[i].method,
				       fn->events[i].path))
			return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	return 0;
}

static int build_table(struct table **out, struct serve *s,
		       const struct ferry_release *live, struct ferry_error *err)
{
	struct ferry_strvec events = FERRY_STRVEC_INIT;
	struct ferry_version v;
	struct ferry_error e;
	struct table *t;
	size_t i, j;
	int rc = 0;

	t = calloc(1, sizeof(*t));
	if (!t)
		return ferry_error_set(err, FERRY_ENOMEM, "out of memory");
	ferry_routes_init(&t->routes);
	t->release = live->number;
	t->refs = 1;
	for (i = 0; i < live->fns_nr && !rc; i++) {
		snprintf(v.id, sizeof(v.id), "%s", live->fns[i].version);
		ferry_strvec_release(&events);
		rc = events_of(&events, s, live->fns[i].name, &v, err);
		for (j = 0; j < events.nr && !rc; j++) {
			ferry_error_init(&e);
			rc = ferry_routes_add(&t->routes, events.items[j],
					      live->fns[i].name,
					      live->fns[i].version, &e);
			if (rc == FERRY_ECONFLICT || rc == FERRY_ECONFIG) {
				ferry_cli_warn(s->ctx, "%s; not served", e.msg);
				rc = 0;
			} else if (rc) {
				ferry_error_set(err, rc, "%s", e.msg);
			}
		}
	}
	ferry_strvec_release(&events);
	if (rc) {
		ferry_routes_release(&t->routes);
		free(t);
		return rc;
	}
	*out = t;
	return 0;
}

static void print_routes(struct serve *s, const struct table *t)
{
	size_t i;

	ferry_cli_note(s->ctx, "release %u: %zu route%s", t->release,
		       t->routes.nr, t->routes.nr == 1 ? "" : "s");
	for (i = 0; i < t->routes.nr; i++)
		ferry_cli_note(s->ctx, "  %-7s %s -> %s",
			       t->routes.items[i].method,
			       t->routes.items[i].path,
			       t->routes.items[i].function);
}

/*
 * The route table of the live release (a reference the caller puts
 * back), rebuilt when the live release changed; *out NULL and
 * FERRY_ENOTFOUND when nothing is deployed.
 */
static int live_table(struct table **out, struct serve *s,
		      struct ferry_error *err)
{
	struct ferry_release live;
	struct table *t = NULL, *old = NULL;
	int rc;

	*out = NULL;
	memset(&live, 0, sizeof(live));
	rc = ferry_release_live(&live, &s->ctx->prov, s->ctx->cfg, err);
	if (rc == FERRY_ENOTFOUND) {
		pthread_mutex_lock(&s->lock);
		old = s->current;
		s->current = NULL;
		pthread_mutex_unlock(&s->lock);
		table_put(s, old);
	}
	if (rc)
		goto out;
	pthread_mutex_lock(&s->lock);
	if (s->current && s->current->release == live.number) {
		t = s->current;
		t->refs++;
	}
	pthread_mutex_unlock(&s->lock);
	if (!t) {
		rc = build_table(&t, s, &live, err);
		if (rc)
			goto out;
		pthread_mutex_lock(&s->lock);
		if (s->current && s->current->release == live.number) {
			/* another request built it first */
			old = t;
			t = s->current;
		} else {
			old = s->current;
			s->current = t;
			print_routes(s, t);
		}
		t->refs++;
		pthread_mutex_unlock(&s->lock);
		table_put(s, old);
	}
	*out = t;
out:
	ferry_release_release(&live);
	return rc;
}

/* ---- HTTP ------------------------------------------------------------- */

struct collect {
	struct ferry_gw_header *items;
	size_t nr, alloc;
	struct ferry_buf query;
	int nomem;
};

static enum MHD_Result header_cb(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	struct collect *c = cls;
	struct ferry_gw_header *grown;

	if (c->nr == c->alloc) {
		size_t alloc = c->alloc ? c->alloc * 2 : 16;

		grown = realloc(c->items, alloc * sizeof(*grown));
		if (!grown) {
			c->nomem = 1;
			return MHD_NO;
		}
		c->items = grown;
		c->alloc = alloc;
	}
	c->items[c->nr].name = key;
	c->items[c->nr++].value = value ? value : "";
	return MHD_YES;
}

/* Query arguments arrive raw (see no_unescape): rebuild the query. */
static enum MHD_Result query_cb(void *cls, enum MHD_ValueKind kind,
				const char *key, const char *value)
{
	struct collect *c = cls;

	if ((c->query.len && ferry_buf_addch(&c->query, '&')) ||
	    ferry_buf_addstr(&c->query, key) ||
	    (value && (ferry_buf_addch(&c->query, '=') ||
		       ferry_buf_addstr(&c->query, value))))
		c->nomem = 1;
	return MHD_YES;
}

/*
 * libmicrohttpd would percent-decode the path and the query arguments;
 * the event carries them raw (rawPath, rawQueryString) and core/gateway.c
 * decodes what it needs.
 */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	return strlen(s);
}

static int reply(struct MHD_Connection *conn,
		 const struct ferry_gw_response *r, const char *method)
{
	struct MHD_Response *resp;
	size_t i;
	int ok;

	resp = p_MHD_create_response_from_buffer(r->body.len,
						 r->body.buf ? r->body.buf : "",
						 MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	for (i = 0; i + 1 < r->headers.nr; i += 2)
		p_MHD_add_response_header(resp, r->headers.items[i],
					  r->headers.items[i + 1]);
	ok = p_MHD_queue_response(conn, (unsigned)r->status, resp);
	p_MHD_destroy_response(resp);
	return ok;
}

/* A response made by the gateway itself: {"message": ...} or an error. */
static void gateway_json(struct ferry_gw_response *r, int status, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	ferry_gw_response_release(r);
	r->status = status;
	ferry_strvec_push(&r->headers, "Content-Type");
	ferry_strvec_push(&r->headers, "application/json");
	ferry_buf_addstr(&r->body, text ? text : "{}");
	free(text);
	json_decref(doc);
}

static void message(struct ferry_gw_response *r, int status, const char *msg)
{
	gateway_json(r, status, json_pack("{s:s}", "message", msg));
}

/* 502 of a failed handler: its error type and message. */
static void handler_failed(struct ferry_gw_response *r,
			   const struct ferry_buf *result, const char *msg)
{
	json_t *doc = result->len ? json_loadb(result->buf, result->len, 0,
					       NULL) : NULL;
	const char *type = json_string_value(json_object_get(doc, "errorType"));
	const char *text = json_string_value(json_object_get(doc,
							     "errorMessage"));

	gateway_json(r, 502, json_pack("{s:s, s:s}", "errorType",
				       type ? type : "Runtime.Error",
				       "errorMessage", type ? (text ? text : "") :
				       msg));
	json_decref(doc);
}

static void handle(struct serve *s, struct MHD_Connection *conn,
		   const char *url, const char *method, struct request *req,
		   struct ferry_gw_response *resp, const char **fn_name)
{
	struct ferry_provider *p = &s->ctx->prov;
	struct collect c = { NULL, 0, 0, FERRY_BUF_INIT, 0 };
	struct ferry_route_match m;
	struct ferry_gw_request gr;
	struct ferry_buf event = FERRY_BUF_INIT, result = FERRY_BUF_INIT;
	struct ferry_function named;	/* a live function ferry.yaml dropped */
	const struct ferry_function *fn;
	const union MHD_ConnectionInfo *ci;
	struct ferry_version v;
	struct ferry_error err;
	struct table *t = NULL;
	struct timespec now;
	char ip[INET6_ADDRSTRLEN] = "127.0.0.1", id[32];
	int rc;

	ferry_error_init(&err);
	ferry_route_match_init(&m);
	if (req->too_big) {
		message(resp, 413, "Request Entity Too Large");
		goto out;
	}
	rc = live_table(&t, s, &err);
	if (rc == FERRY_ENOTFOUND) {
		message(resp, 404, err.msg);
		goto out;
	}
	if (rc) {
		message(resp, 500, err.msg);
		goto out;
	}
	rc = ferry_routes_match(&m, &t->routes, method, url);
	if (rc == 404) {
		message(resp, 404, "Not Found");
		goto out;
	}
	if (rc == 405) {
		message(resp, 405, "Method Not Allowed");
		ferry_strvec_push(&resp->headers, "Allow");
		ferry_strvec_push(&resp->headers, m.allow);
		goto out;
	}
	if (rc != 200) {
		message(resp, 500, "out of memory");
		goto out;
	}
	*fn_name = m.route->function;
	p_MHD_get_connection_values(conn, MHD_HEADER_KIND, header_cb, &c);
	p_MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_cb, &c);
	ci = p_MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET,
			  &((const struct sockaddr_in *)ci->client_addr)->sin_addr,
			  ip, sizeof(ip));
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(id, sizeof(id), "%lx-%lu", (unsigned long)getpid(),
		 (unsigned long)atomic_fetch_add(&s->seq, 1) + 1);
	memset(&gr, 0, sizeof(gr));
	gr.method = method;
	gr.raw_path = url;
	gr.raw_query = c.query.buf ? c.query.buf : "";
	gr.headers = c.items;
	gr.headers_nr = c.nr;
	gr.body = req->body.buf;
	gr.body_len = req->body.len;
	gr.source_ip = ip;
	gr.request_id = id;
	gr.time_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (c.nomem || ferry_gateway_event(&event, &gr, &m, &err)) {
		message(resp, 500, "out of memory");
		goto out;
	}
	fn = ferry_config_function(s->ctx->cfg, m.route->function);
	if (!fn) {
		/* live, but no longer in ferry.yaml: it still runs */
		memset(&named, 0, sizeof(named));
		named.name = m.route->function;
		fn = &named;
	}
	snprintf(v.id, sizeof(v.id), "%s", m.route->version);
	rc = p->ops->invoke_warm ?
		p->ops->invoke_warm(p, fn, &v, &event, &result, &err) :
		p->ops->invoke(p, fn, &v, &event, &result, &err);
	if (!rc) {
		rc = ferry_gateway_response(resp, result.buf ? result.buf : "",
					    result.len, &err);
		if (rc) {
			ferry_cli_warn(s->ctx, "function '%s': invalid response: %s",
				       fn->name, err.msg);
			gateway_json(resp, 502, json_pack("{s:s, s:s}",
				     "errorType", "Runtime.InvalidResponse",
				     "errorMessage", err.msg));
		}
	} else if (rc == FERRY_ETIMEOUT) {
		ferry_cli_warn(s->ctx, "%s", err.msg);
		message(resp, 504, err.msg);
	} else if (rc == FERRY_EINTR) {
		message(resp, 503, "ferry serve is stopping");
	} else {
		ferry_cli_warn(s->ctx, "%s", err.msg);
		handler_failed(resp, &result, err.msg);
	}
out:
	free(c.items);
	ferry_buf_release(&c.query);
	ferry_buf_release(&event);
	ferry_buf_release(&result);
	ferry_route_match_release(&m);
	if (*fn_name) {
		/* the name is borrowed from the table: keep a copy for the log */
		static _Thread_local char name[64];

		snprintf(name, sizeof(name), "%s", *fn_name);
		*fn_name = name;
	}
	table_put(s, t);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn,
				 const char *url, const char *method,
				 const char *version, const char *upload,
				 size_t *upload_size, void **con_cls)
{
	struct serve *s = cls;
	struct request *req = *con_cls;
	struct ferry_gw_response resp;
	const char *fn_name = NULL;
	double t0;
	int ok;

	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		ferry_buf_init(&req->body);
		*con_cls = req;
		return MHD_YES;
	}
	if (*upload_size) {
		if (req->body.len + *upload_size > BODY_MAX ||
		    ferry_buf_add(&req->body, upload, *upload_size))
			req->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	t0 = ferry_now();
	ferry_gw_response_init(&resp);
	handle(s, conn, url, method, req, &resp, &fn_name);
	ok = reply(conn, &resp, method);
	if (!s->ctx->quiet)
		fprintf(stderr, "%s %s -> %s %d %.0f ms\n", method, url,
			fn_name ? fn_name : "-", resp.status,
			(ferry_now() - t0) * 1000);
	ferry_gw_response_release(&resp);
	return ok ? MHD_YES : MHD_NO;
}

static void completed_cb(void *cls, struct MHD_Connection *conn,
			 void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct request *req = *con_cls;

	if (!req)
		return;
	ferry_buf_release(&req->body);
	free(req);
	*con_cls = NULL;
}

/* Bind 127.0.0.1:port ourselves, for a clear error and the chosen port. */
static int listen_on(int *fd_out, unsigned *port, struct ferry_error *err)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, one = 1, rc = 0;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ferry_error_errno(err, FERRY_EFAIL, errno,
					 "cannot create a socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)*port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
		rc = ferry_error_errno(err, FERRY_EFAIL, errno,
				       "cannot listen on 127.0.0.1:%u", *port);
		close(fd);
		return rc;
	}
	*port = ntohs(sin.sin_port);
	*fd_out = fd;
	return 0;
}

static int run(struct ferry_ctx *ctx, const struct ferry_args *args,
	       struct ferry_error *err)
{
	struct serve s;
	struct MHD_Daemon *d = NULL;
	struct table *t = NULL;
	struct timespec tick = { 0, 50 * 1000000L };
	const char *port_arg = ferry_arg(args, "port");
	unsigned port = DEFAULT_PORT;
	int fd = -1, rc;

	memset(&s, 0, sizeof(s));
	s.ctx = ctx;
	pthread_mutex_init(&s.lock, NULL);
	atomic_init(&s.seq, 0);
	if (port_arg && (ferry_cli_parse_uint(port_arg, &port) || port > 65535)) {
		rc = ferry_usage_error(err, args->cmd,
				       "--port takes a number from 0 to 65535, "
				       "not '%s'", port_arg);
		goto out;
	}
	if (!(ctx->prov.ops->caps & FERRY_CAP_LOCAL_INVOKE)) {
		rc = ferry_error_set(err, FERRY_ECONFIG,
				     "'ferry serve' serves the local provider's "
				     "release; provider '%s' has its own "
				     "endpoints (see 'ferry info')",
				     ctx->prov.ops->name);
		goto out;
	}
	rc = ferry_lazy_load(&mhd_lib, err);
	if (rc)
		goto out;
	rc = live_table(&t, &s, err);
	if (rc == FERRY_ENOTFOUND) {
		ferry_cli_warn(ctx, "%s; serving 404 until then", err->msg);
		ferry_error_clear(err);
		rc = 0;
	}
	table_put(&s, t);
	if (rc)
		goto out;
	rc = listen_on(&fd, &port, err);
	if (rc)
		goto out;
	d = p_MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
			       MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL,
			       0, NULL, NULL, access_cb, &s,
			       MHD_OPTION_LISTEN_SOCKET, fd,
			       MHD_OPTION_NOTIFY_COMPLETED, completed_cb, &s,
			       MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
			       MHD_OPTION_CONNECTION_TIMEOUT, 60u,
			       MHD_OPTION_END);
	if (!d) {
		close(fd);
		rc = ferry_error_set(err, FERRY_EFAIL,
				     "cannot start the HTTP server on "
				     "127.0.0.1:%u", port);
		goto out;
	}
	if (ctx->json) {
		char url[64];

		snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
		rc = ferry_cli_json(json_pack("{s:s, s:s, s:i}", "event",
					      "listening", "url", url, "port",
					      (int)port));
		if (rc)
			goto out;
	} else {
		printf("listening on http://127.0.0.1:%u\n", port);
	}
	fflush(stdout);
	while (!ferry_cancelled())
		nanosleep(&tick, NULL);
	ferry_cli_note(ctx, "stopping");
	rc = ferry_error_set(err, FERRY_EINTR, "interrupted");
out:
	if (d)
		p_MHD_stop_daemon(d);	/* running calls see the cancellation */
	if (ctx->prov.ops && ctx->prov.ops->stop_warm)
		ctx->prov.ops->stop_warm(&ctx->prov);
	table_put(&s, s.current);
	pthread_mutex_destroy(&s.lock);
	return rc;
}

const struct ferry_cmd ferry_cmd_serve = {
	.name = "serve",
	.args = NULL,
	.summary = "serve the http events of the live local release",
	.description =
	"Serves every http event of the live release of the local provider\n"
	"on http://127.0.0.1:PORT, as API Gateway would: handlers get the\n"
	"HTTP API payload 2.0 event and their result becomes the response.\n"
	"Handler processes stay warm between requests and are replaced after\n"
	"a deploy or rollback. One line per request goes to stderr. Ctrl-C\n"
	"stops the server and every handler process (exit 130).",
	.opts = opts,
	.min_args = 0,
	.max_args = 0,
	.complete = FERRY_COMPLETE_NONE,
	.flags = FERRY_CMD_CONFIG | FERRY_CMD_PROVIDER,
	.run = run,
};
