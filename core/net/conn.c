/* tern — core/net: one connection driven by the GLib main loop.
 *
 * Bytes flow through stages, each a bounded queue:
 *   write:  out_plain --(deflate)--> out_mid --(TLS)--> out_raw --send()--> fd
 *   read:   fd --recv()--> (TLS) --> (inflate) --> data callback
 * The fd is a TCP socket or, for a tunnel, the read end of a pipe from the
 * command's stdout, with wfd the write end of a pipe to its stdin. (Pipes,
 * not a socketpair: Dovecot's imap refuses a socket on stdin, taking it
 * for inetd.) Sockets use send()/recv() with MSG_NOSIGNAL; pipes
 * read()/write() with SIGPIPE ignored. */
#include "config.h"
#include "core/common.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>

#include "core/net/net-private.h"

#define NET_READ_CHUNK 65536	  /* one recv() */
#define NET_READS_PER_TURN 4	  /* recv() calls per main-loop turn */
#define NET_STAGE_CHUNK 16384	  /* bytes moved between stages at once */
#define NET_RAW_HIGH (256 * 1024) /* stop encoding when out_raw holds this */
#define NET_INFLATE_CHUNK 65536	  /* bytes of plaintext per inflate call */
#define NET_STAGE_MAX (NET_WRITE_QUEUE_MAX + 1024 * 1024) /* mid/raw slack */
#define NET_STDERR_TAIL 1024				  /* bytes of a tunnel's stderr kept */

enum net_state {
	NET_ST_NEW,
	NET_ST_CONNECTING, /* resolving / TCP connect / spawning */
	NET_ST_HANDSHAKE,  /* implicit TLS handshake */
	NET_ST_OPEN,
	NET_ST_STARTTLS, /* STARTTLS handshake */
	NET_ST_CLOSED,
};

struct net_conn {
	int ref;
	enum net_state state;
	char *host, *ca_file, *fingerprint, *tunnel;
	guint16 port;
	enum net_tls_mode tls_mode;
	guint connect_timeout_s, timeout_s, sndbuf;
	struct net_callbacks cb;
	void *ud;

	GCancellable *cancel;
	GSocketConnection *sconn;
	GSubprocess *proc;
	int fd;
	int wfd; /* tunnel: the pipe to the command's stdin, else -1 */
	GSource *rsrc, *wsrc, *tsrc, *csrc, *isrc;
	gboolean loopback;

	struct net_tls *tls;
	gboolean tls_up;
	gboolean tls_write_blocked; /* SSL_write waits for input */
	struct net_zlib *z;
	gboolean deflate_flush; /* a sync flush is owed */

	struct net_buf out_plain, out_mid, out_raw;

	gboolean waiting; /* expect_reply */
	gboolean armed;	  /* the no-progress timer counts */
	gint64 last_progress;
	guint64 slow_bytes; /* received since then, no line end among them */

	int errfd; /* tunnel stderr */
	GSource *esrc;
	GString *errtail;
	char *deferred_err; /* a failure to report from the loop */
};

static void conn_update(struct net_conn *c);
static void input_plain(struct net_conn *c, const guint8 *buf, gsize n);

/* ---- lifetime ---- */

struct net_conn *
net_conn_new(const struct net_opts *o, const struct net_callbacks *cb, void *ud)
{
	struct net_conn *c = g_new0(struct net_conn, 1);

	c->ref = 1;
	c->host = g_strdup(o->host);
	c->port = o->port;
	c->tls_mode = o->tls;
	c->ca_file = g_strdup(o->ca_file);
	c->fingerprint = g_strdup(o->fingerprint);
	c->tunnel = g_strdup(o->tunnel);
	c->connect_timeout_s =
	    o->connect_timeout_s ? o->connect_timeout_s : NET_CONNECT_TIMEOUT_DEFAULT;
	c->timeout_s = o->timeout_s ? o->timeout_s : NET_TIMEOUT_DEFAULT;
	c->sndbuf = o->sndbuf;
	c->cb = *cb;
	c->ud = ud;
	c->fd = -1;
	c->wfd = -1;
	c->errfd = -1;
	net_buf_init(&c->out_plain, NET_WRITE_QUEUE_MAX);
	net_buf_init(&c->out_mid, NET_STAGE_MAX);
	net_buf_init(&c->out_raw, NET_STAGE_MAX);
	return c;
}

struct net_conn *
net_conn_ref(struct net_conn *c)
{
	c->ref++;
	return c;
}

void
net_conn_unref(struct net_conn **cp)
{
	struct net_conn *c = *cp;

	*cp = NULL;
	if (!c || --c->ref > 0)
		return;
	net_conn_close(c);
	net_buf_release(&c->out_plain);
	net_buf_release(&c->out_mid);
	net_buf_release(&c->out_raw);
	if (c->errtail)
		g_string_free(c->errtail, TRUE);
	g_free(c->host);
	g_free(c->ca_file);
	g_free(c->fingerprint);
	g_free(c->tunnel);
	g_free(c->deferred_err);
	g_free(c);
}

static void
clear_source(GSource **s)
{
	if (*s) {
		g_source_destroy(*s);
		g_source_unref(*s);
		*s = NULL;
	}
}

static GSource *
add_fd_source(int fd, GIOCondition cond, GUnixFDSourceFunc fn, struct net_conn *c)
{
	GSource *s = g_unix_fd_source_new(fd, cond);

	g_source_set_callback(s, G_SOURCE_FUNC(fn), c, NULL);
	g_source_attach(s, g_main_context_get_thread_default());
	return s;
}

static GSource *
add_timeout(guint ms, GSourceFunc fn, struct net_conn *c)
{
	GSource *s = g_timeout_source_new(ms);

	g_source_set_callback(s, fn, c, NULL);
	g_source_attach(s, g_main_context_get_thread_default());
	return s;
}

/* Try to get the TLS close_notify out without waiting. */
static void
send_close_notify(struct net_conn *c)
{
	if (!c->tls || !c->tls_up || c->fd < 0 || c->out_raw.len > 0)
		return;
	net_tls_shutdown(c->tls);
	if (net_tls_drain(c->tls, &c->out_raw) == 0 && c->out_raw.len > 0)
		(void)!send(c->fd, net_buf_head(&c->out_raw), c->out_raw.len,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Release the transport; the state becomes CLOSED.  No callback. */
static void
teardown(struct net_conn *c, gboolean graceful)
{
	if (c->state == NET_ST_CLOSED)
		return;
	if (graceful)
		send_close_notify(c);
	c->state = NET_ST_CLOSED;
	clear_source(&c->rsrc);
	clear_source(&c->wsrc);
	clear_source(&c->tsrc);
	clear_source(&c->csrc);
	clear_source(&c->isrc);
	clear_source(&c->esrc);
	if (c->cancel) {
		g_cancellable_cancel(c->cancel);
		g_clear_object(&c->cancel);
	}
	if (c->sconn) {
		g_io_stream_close(G_IO_STREAM(c->sconn), NULL, NULL);
		g_clear_object(&c->sconn);
	} else if (c->fd >= 0) {
		close(c->fd);
	}
	c->fd = -1;
	if (c->wfd >= 0)
		close(c->wfd);
	c->wfd = -1;
	if (c->errfd >= 0)
		close(c->errfd);
	c->errfd = -1;
	if (c->proc) {
		g_subprocess_send_signal(c->proc, SIGTERM);
		g_clear_object(&c->proc);
	}
	net_tls_free(&c->tls);
	net_zlib_free(&c->z);
	net_buf_release(&c->out_plain);
	net_buf_release(&c->out_mid);
	net_buf_release(&c->out_raw);
}

void
net_conn_close(struct net_conn *c)
{
	teardown(c, TRUE);
}

/* End the connection and tell the owner through the one callback that
 * matches the state it was in. */
static void
conn_fail(struct net_conn *c, enum tern_status st, const char *detail)
{
	enum net_state was = c->state;

	if (was == NET_ST_CLOSED)
		return;
	net_conn_ref(c);
	teardown(c, FALSE);
	switch (was) {
	case NET_ST_NEW:
	case NET_ST_CONNECTING:
	case NET_ST_HANDSHAKE:
		if (c->cb.connected)
			c->cb.connected(c, st, detail, c->ud);
		break;
	case NET_ST_STARTTLS:
		if (c->cb.tls_done)
			c->cb.tls_done(c, st, detail, c->ud);
		break;
	case NET_ST_OPEN:
		if (c->cb.closed)
			c->cb.closed(c, st, detail, c->ud);
		break;
	case NET_ST_CLOSED:
		break;
	}
	net_conn_unref(&c);
}

static void
conn_fail_errno(struct net_conn *c, int err)
{
	char *msg = g_strdup_printf(_("connection lost: %s"), g_strerror(err));

	conn_fail(c, TERN_ERR_CONN, msg);
	g_free(msg);
}

/* ---- the no-progress timer ---- */

static gboolean on_timeout(gpointer data);

static void
progress(struct net_conn *c)
{
	c->last_progress = g_get_monotonic_time();
	c->slow_bytes = 0;
}

/* Bytes received are progress once those since the last progress reach
 * the low-speed limit over the timeout; plaintext that ends a line is
 * progress at once (progress_line). A response trickled forever without a
 * line end (a byte now and then) times out like a stall; a slow link that
 * keeps delivering does not. */
static void
progress_received(struct net_conn *c, gsize n)
{
	c->slow_bytes += n;
	if (c->state != NET_ST_OPEN ||
	    c->slow_bytes >= (guint64)NET_LOW_SPEED_LIMIT * c->timeout_s)
		progress(c);
}

static void
progress_line(struct net_conn *c, const guint8 *buf, gsize n)
{
	if (memchr(buf, '\n', n) != NULL)
		progress(c);
}

static gboolean
timer_should_count(struct net_conn *c)
{
	if (c->state == NET_ST_STARTTLS)
		return TRUE;
	if (c->state != NET_ST_OPEN)
		return FALSE;
	return c->waiting || c->out_plain.len > 0 || c->out_mid.len > 0 || c->out_raw.len > 0;
}

static void
schedule_timer(struct net_conn *c)
{
	gint64 deadline = c->last_progress + (gint64)c->timeout_s * G_USEC_PER_SEC;
	gint64 left = deadline - g_get_monotonic_time();
	guint ms = left <= 0 ? 0 : (guint)MIN((left + 999) / 1000, G_MAXUINT);

	clear_source(&c->tsrc);
	c->tsrc = add_timeout(ms, on_timeout, c);
}

static void
timer_update(struct net_conn *c)
{
	gboolean count = timer_should_count(c);

	if (count && !c->armed) {
		progress(c); /* the wait starts now */
		c->armed = TRUE;
		schedule_timer(c);
	} else if (!count && c->armed) {
		c->armed = FALSE;
		clear_source(&c->tsrc);
	}
}

static gboolean
on_timeout(gpointer data)
{
	struct net_conn *c = data;
	gint64 idle = g_get_monotonic_time() - c->last_progress;

	if (!c->armed)
		return G_SOURCE_REMOVE; /* not reached: disarming removes us */
	if (idle < (gint64)c->timeout_s * G_USEC_PER_SEC) {
		schedule_timer(c); /* progress since: wait for the rest */
		return G_SOURCE_REMOVE;
	}
	conn_fail(c, TERN_ERR_CONN, _("timed out"));
	return G_SOURCE_REMOVE;
}

void
net_conn_expect_reply(struct net_conn *c, gboolean waiting)
{
	if (waiting && !c->waiting && c->armed)
		progress(c); /* the first command: its wait starts now */
	c->waiting = waiting;
	timer_update(c);
}

/* ---- writing ---- */

/* Move one chunk of out_mid through TLS (or as is) to out_raw.
 * Returns 1 moved something, 0 blocked, -1 failed (connection ended). */
static int
stage_mid_to_raw(struct net_conn *c)
{
	gsize n = MIN(c->out_mid.len, NET_STAGE_CHUNK);
	char *err = NULL;
	gssize w;

	if (!c->tls) {
		if (net_buf_append(&c->out_raw, net_buf_head(&c->out_mid), n) < 0)
			return 0;
		net_buf_consume(&c->out_mid, n);
		return 1;
	}
	w = net_tls_write(c->tls, net_buf_head(&c->out_mid), n, &err);
	if (w == 0) {
		c->tls_write_blocked = TRUE;
		return 0;
	}
	if (w < 0) {
		conn_fail(c, TERN_ERR_CONN, err);
		g_free(err);
		return -1;
	}
	net_buf_consume(&c->out_mid, (gsize)w);
	if (net_tls_drain(c->tls, &c->out_raw) < 0) {
		conn_fail(c, TERN_ERR_CONN, _("write queue full"));
		return -1;
	}
	return 1;
}

/* Move one chunk of out_plain through deflate (or as is) to out_mid. */
static int
stage_plain_to_mid(struct net_conn *c)
{
	gsize n = MIN(c->out_plain.len, NET_STAGE_CHUNK);

	if (c->z) {
		if (net_zlib_deflate(c->z, net_buf_head(&c->out_plain), n, FALSE, &c->out_mid) <
		    0) {
			conn_fail(c, TERN_ERR_CONN, _("compression failed"));
			return -1;
		}
		c->deflate_flush = TRUE;
	} else if (net_buf_append(&c->out_mid, net_buf_head(&c->out_plain), n) < 0) {
		return 0;
	}
	net_buf_consume(&c->out_plain, n);
	return 1;
}

/* Encode queued plaintext until out_raw holds enough to send.
 * Returns 0, or -1 when the connection ended. */
static int
pump_out(struct net_conn *c)
{
	int r;

	if (c->state != NET_ST_OPEN)
		return 0;
	c->tls_write_blocked = FALSE;
	while (c->out_raw.len < NET_RAW_HIGH) {
		if (c->out_mid.len > 0) {
			r = stage_mid_to_raw(c);
		} else if (c->out_plain.len > 0) {
			r = stage_plain_to_mid(c);
		} else if (c->deflate_flush) {
			c->deflate_flush = FALSE;
			r = net_zlib_deflate(c->z, "", 0, TRUE, &c->out_mid) < 0 ? -1 : 1;
			if (r < 0)
				conn_fail(c, TERN_ERR_CONN, _("compression failed"));
		} else {
			break;
		}
		if (r <= 0)
			return r;
	}
	return 0;
}

static gboolean
have_encodable(struct net_conn *c)
{
	if (c->state != NET_ST_OPEN || c->tls_write_blocked)
		return FALSE;
	return c->out_plain.len > 0 || c->out_mid.len > 0 || c->deflate_flush;
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data);

/* Watch for writability exactly when there is something to do. */
static void
write_source_update(struct net_conn *c)
{
	gboolean want = c->fd >= 0 && c->state != NET_ST_CONNECTING && c->state != NET_ST_CLOSED &&
			(c->out_raw.len > 0 || have_encodable(c));

	if (want && !c->wsrc)
		c->wsrc = add_fd_source(c->wfd >= 0 ? c->wfd : c->fd, G_IO_OUT, on_writable, c);
	else if (!want)
		clear_source(&c->wsrc);
}

static void
conn_update(struct net_conn *c)
{
	if (c->state == NET_ST_CLOSED)
		return;
	write_source_update(c);
	timer_update(c);
}

/* send() what out_raw holds.  Returns 0, or -1 when the connection ended. */
static int
flush_raw(struct net_conn *c)
{
	while (c->out_raw.len > 0) {
		ssize_t n = c->wfd >= 0 ?
			write(c->wfd, net_buf_head(&c->out_raw), c->out_raw.len) :
			send(c->fd, net_buf_head(&c->out_raw), c->out_raw.len,
			     MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0) {
			conn_fail_errno(c, errno);
			return -1;
		}
		net_buf_consume(&c->out_raw, (gsize)n);
		progress(c);
		if (c->out_raw.len < NET_RAW_HIGH / 2 && pump_out(c) < 0)
			return -1;
	}
	return 0;
}

static gboolean
on_writable(gint fd, GIOCondition cond, gpointer data)
{
	struct net_conn *c = data;

	(void)fd;
	(void)cond;
	net_conn_ref(c);
	if (pump_out(c) == 0 && flush_raw(c) == 0)
		conn_update(c);
	net_conn_unref(&c);
	return G_SOURCE_CONTINUE;
}

int
net_conn_write(struct net_conn *c, const void *buf, gsize len)
{
	gsize queued;

	if (c->state == NET_ST_CLOSED)
		return -1;
	queued = c->out_plain.len + c->out_mid.len + c->out_raw.len;
	if (len > NET_WRITE_QUEUE_MAX || queued > NET_WRITE_QUEUE_MAX - len)
		return -1;
	if (net_buf_append(&c->out_plain, buf, len) < 0)
		return -1;
	conn_update(c);
	return 0;
}

/* ---- reading ---- */

/* Hand plaintext to the owner, honouring a switch to TLS or COMPRESS made
 * from inside the callback. */
static void
deliver(struct net_conn *c, const guint8 *buf, gsize n)
{
	gboolean had_tls = c->tls != NULL, had_z = c->z != NULL;
	gsize used;

	if (!c->cb.data)
		return;
	progress_line(c, buf, n);
	used = c->cb.data(c, (const char *)buf, n, c->ud);
	if (c->state == NET_ST_CLOSED || used >= n)
		return;
	if (!had_tls && c->tls)
		return; /* STARTTLS: the rest is pre-TLS plaintext, dropped */
	if (!had_z && c->z) {
		input_plain(c, buf + used, n - used);
		return;
	}
	g_warning("net: data callback left %" G_GSIZE_FORMAT " bytes unused", n - used);
}

static void
inflate_and_deliver(struct net_conn *c, const guint8 *buf, gsize n)
{
	guint8 *out = g_malloc(NET_INFLATE_CHUNK);
	struct net_zlib *z = c->z;
	gsize produced, before;

	for (;;) {
		before = n;
		if (net_zlib_inflate(z, &buf, &n, out, NET_INFLATE_CHUNK, &produced) < 0) {
			conn_fail(c, TERN_ERR_PROTOCOL,
				  _("corrupt compressed data from the server"));
			break;
		}
		if (produced > 0)
			deliver(c, out, produced);
		if (c->state == NET_ST_CLOSED || c->z != z)
			break;
		if (produced < NET_INFLATE_CHUNK && (n == 0 || n == before))
			break;
	}
	g_free(out);
}

static void
input_plain(struct net_conn *c, const guint8 *buf, gsize n)
{
	if (n == 0 || c->state != NET_ST_OPEN)
		return; /* during STARTTLS, stray plaintext is dropped */
	if (c->z)
		inflate_and_deliver(c, buf, n);
	else
		deliver(c, buf, n);
}

static void tls_handshake_step(struct net_conn *c);

static void
tls_input(struct net_conn *c, const guint8 *buf, gsize n)
{
	guint8 tmp[NET_STAGE_CHUNK];
	struct net_tls *t = c->tls;
	char *err = NULL;
	gssize r;

	net_tls_feed(t, buf, n);
	if (c->state == NET_ST_HANDSHAKE || c->state == NET_ST_STARTTLS)
		tls_handshake_step(c);
	while (c->state == NET_ST_OPEN && c->tls == t) {
		r = net_tls_read(t, tmp, sizeof(tmp), &err);
		if (r == 0)
			break;
		if (r == -1) {
			conn_fail(c, TERN_OK, _("connection closed by the server"));
			return;
		}
		if (r < 0) {
			conn_fail(c, TERN_ERR_CONN, err);
			g_free(err);
			return;
		}
		input_plain(c, tmp, (gsize)r);
	}
	if (c->state != NET_ST_CLOSED && c->tls && net_tls_drain(c->tls, &c->out_raw) < 0)
		conn_fail(c, TERN_ERR_CONN, _("write queue full"));
}

static void
errtail_append(struct net_conn *c, const char *buf, gsize n)
{
	g_string_append_len(c->errtail, buf, (gssize)n);
	if (c->errtail->len > NET_STDERR_TAIL)
		g_string_erase(c->errtail, 0, (gssize)(c->errtail->len - NET_STDERR_TAIL));
}

static char *
tunnel_detail(struct net_conn *c)
{
	char buf[512];
	ssize_t n;
	char *line, *nl, *msg;

	/* the command's last words usually precede its exit: read them now */
	while (c->errfd >= 0 && (n = read(c->errfd, buf, sizeof(buf))) > 0)
		errtail_append(c, buf, (gsize)n);
	if (!c->errtail || c->errtail->len == 0)
		return g_strdup(_("the tunnel command closed the connection"));
	line = g_strndup(c->errtail->str, c->errtail->len);
	g_strchomp(line);
	nl = strrchr(line, '\n');
	msg =
	    g_strdup_printf(_("the tunnel command closed the connection: %s"), nl ? nl + 1 : line);
	g_free(line);
	return msg;
}

static void
peer_eof(struct net_conn *c)
{
	char *msg;

	if (c->state == NET_ST_OPEN && c->proc) {
		msg = tunnel_detail(c);
		conn_fail(c, TERN_OK, msg);
		g_free(msg);
	} else if (c->state == NET_ST_OPEN) {
		conn_fail(c, TERN_OK, _("connection closed by the server"));
	} else {
		conn_fail(c, TERN_ERR_CONN, _("connection closed during the TLS handshake"));
	}
}

static gboolean
on_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct net_conn *c = data;
	guint8 *buf = g_malloc(NET_READ_CHUNK);

	(void)cond;
	net_conn_ref(c);
	for (int i = 0; i < NET_READS_PER_TURN && c->state != NET_ST_CLOSED; i++) {
		ssize_t n = c->wfd >= 0 ? read(fd, buf, NET_READ_CHUNK) :
					 recv(fd, buf, NET_READ_CHUNK, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			conn_fail_errno(c, errno);
			break;
		}
		if (n == 0) {
			peer_eof(c);
			break;
		}
		progress_received(c, (gsize)n);
		if (c->tls)
			tls_input(c, buf, (gsize)n);
		else
			input_plain(c, buf, (gsize)n);
	}
	if (c->state != NET_ST_CLOSED)
		pump_out(c);
	conn_update(c);
	net_conn_unref(&c);
	g_free(buf);
	return G_SOURCE_CONTINUE;
}

/* ---- TLS ---- */

/* Best effort: let the server see the alert that says why we refuse. */
static void
send_alert(struct net_conn *c)
{
	if (c->fd >= 0 && net_tls_drain(c->tls, &c->out_raw) == 0 && c->out_raw.len > 0)
		(void)!send(c->fd, net_buf_head(&c->out_raw), c->out_raw.len,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void
tls_handshake_step(struct net_conn *c)
{
	enum tern_status st = TERN_ERR_AUTH;
	enum net_state was = c->state;
	char *err = NULL;
	int r = net_tls_handshake(c->tls, &st, &err);

	if (r == 0 && net_tls_drain(c->tls, &c->out_raw) < 0) {
		r = -1;
		st = TERN_ERR_CONN;
		err = g_strdup(_("write queue full"));
	}
	if (r < 0) {
		send_alert(c);
		conn_fail(c, st, err);
		g_free(err);
		return;
	}
	if (r == 0)
		return;
	c->tls_up = TRUE;
	c->state = NET_ST_OPEN;
	clear_source(&c->csrc);
	net_conn_ref(c);
	if (was == NET_ST_HANDSHAKE && c->cb.connected)
		c->cb.connected(c, TERN_OK, NULL, c->ud);
	else if (was == NET_ST_STARTTLS && c->cb.tls_done)
		c->cb.tls_done(c, TERN_OK, NULL, c->ud);
	if (c->state != NET_ST_CLOSED && net_tls_drain(c->tls, &c->out_raw) < 0)
		conn_fail(c, TERN_ERR_CONN, _("write queue full"));
	net_conn_unref(&c);
}

/* Create the TLS object and send the ClientHello.  Returns 0 / -1 (ended). */
static int
tls_begin(struct net_conn *c, enum net_state st)
{
	enum tern_status fst = TERN_ERR_AUTH;
	char *err = NULL;

	if (net_tls_new(&c->tls, c->host, c->ca_file, c->fingerprint, &fst, &err) < 0) {
		conn_fail(c, fst, err);
		g_free(err);
		return -1;
	}
	c->state = st;
	tls_handshake_step(c);
	return c->state == NET_ST_CLOSED ? -1 : 0;
}

/* Anything written but not sent yet goes out after the handshake. */
static int
hold_back_unsent(struct net_conn *c)
{
	struct net_buf all;

	net_buf_init(&all, NET_STAGE_MAX * 3);
	if (net_buf_move(&all, &c->out_raw) < 0 || net_buf_move(&all, &c->out_mid) < 0 ||
	    net_buf_move(&all, &c->out_plain) < 0) {
		net_buf_release(&all);
		return -1;
	}
	net_buf_release(&c->out_plain);
	c->out_plain = all;
	c->out_plain.max = NET_WRITE_QUEUE_MAX;
	return 0;
}

int
net_conn_start_tls(struct net_conn *c)
{
	if (c->state != NET_ST_OPEN || c->tls || c->z || c->proc)
		return -1;
	if (hold_back_unsent(c) < 0)
		return -1;
	net_conn_ref(c);
	if (tls_begin(c, NET_ST_STARTTLS) == 0)
		conn_update(c);
	net_conn_unref(&c);
	return 0;
}

/* ---- COMPRESS ---- */

int
net_conn_start_compress(struct net_conn *c)
{
	if (c->state != NET_ST_OPEN || c->z)
		return -1;
	/* what was written before goes out uncompressed */
	while (c->out_plain.len > 0)
		if (net_buf_move(&c->out_mid, &c->out_plain) < 0)
			return -1;
	c->z = net_zlib_new();
	conn_update(c);
	return 0;
}

/* ---- connecting ---- */

static void
became_open(struct net_conn *c)
{
	c->rsrc = add_fd_source(c->fd, G_IO_IN, on_readable, c);
	if (c->tls_mode == NET_TLS_IMPLICIT && !c->proc) {
		if (tls_begin(c, NET_ST_HANDSHAKE) == 0)
			conn_update(c);
		return;
	}
	c->state = NET_ST_OPEN;
	clear_source(&c->csrc);
	net_conn_ref(c);
	if (c->cb.connected)
		c->cb.connected(c, TERN_OK, NULL, c->ud);
	conn_update(c);
	net_conn_unref(&c);
}

static void
tune_socket(struct net_conn *c)
{
	int one = 1, sz = (int)MIN(c->sndbuf, (guint)G_MAXINT);
	GSocketAddress *sa;

	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (c->sndbuf)
		(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	sa = g_socket_connection_get_remote_address(c->sconn, NULL);
	if (sa && G_IS_INET_SOCKET_ADDRESS(sa))
		c->loopback = g_inet_address_get_is_loopback(
		    g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa)));
	g_clear_object(&sa);
}

static void
on_connected(GObject *src, GAsyncResult *res, gpointer data)
{
	struct net_conn *c = data;
	GError *error = NULL;
	GSocketConnection *sconn =
	    g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &error);
	char *msg;

	if (c->state != NET_ST_CONNECTING) {
		g_clear_object(&sconn); /* closed or timed out meanwhile */
	} else if (!sconn) {
		msg = g_strdup_printf(_("cannot connect to %s port %u: %s"), c->host,
				      (unsigned)c->port, error->message);
		conn_fail(c, TERN_ERR_CONN, msg);
		g_free(msg);
	} else {
		c->sconn = sconn;
		c->fd = g_socket_get_fd(g_socket_connection_get_socket(sconn));
		tune_socket(c);
		became_open(c);
	}
	g_clear_error(&error);
	net_conn_unref(&c);
}

static gboolean
on_connect_timeout(gpointer data)
{
	struct net_conn *c = data;
	char *msg = g_strdup_printf(_("cannot connect to %s port %u: timed out"),
				    c->host ? c->host : "", (unsigned)c->port);

	conn_fail(c, TERN_ERR_CONN, msg);
	g_free(msg);
	return G_SOURCE_REMOVE;
}

static void
connect_tcp(struct net_conn *c)
{
	GSocketClient *client = g_socket_client_new();
	GSocketConnectable *addr = g_network_address_new(c->host, c->port);

	g_socket_client_set_enable_proxy(client, FALSE);
	c->cancel = g_cancellable_new();
	g_socket_client_connect_async(client, addr, c->cancel, on_connected, net_conn_ref(c));
	g_object_unref(addr);
	g_object_unref(client);
}

static gboolean
on_stderr(gint fd, GIOCondition cond, gpointer data)
{
	struct net_conn *c = data;
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)cond;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		g_source_unref(c->esrc);
		c->esrc = NULL;
		return G_SOURCE_REMOVE;
	}
	errtail_append(c, buf, (gsize)n);
	return G_SOURCE_CONTINUE;
}

static gboolean
on_tunnel_up(gpointer data)
{
	struct net_conn *c = data;

	g_source_unref(c->isrc);
	c->isrc = NULL;
	became_open(c);
	return G_SOURCE_REMOVE;
}

static int
spawn_tunnel(struct net_conn *c, char **err_r)
{
	GSubprocessLauncher *l = NULL;
	GError *error = NULL;
	GInputStream *err;
	int to_child[2], from_child[2];

	if (!g_unix_open_pipe(to_child, FD_CLOEXEC, NULL)) {
		*err_r = g_strdup(g_strerror(errno));
		return -1;
	}
	if (!g_unix_open_pipe(from_child, FD_CLOEXEC, NULL)) {
		*err_r = g_strdup(g_strerror(errno));
		close(to_child[0]);
		close(to_child[1]);
		return -1;
	}
	/* A write to a tunnel whose command died must fail, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_subprocess_launcher_take_stdin_fd(l, to_child[0]);
	g_subprocess_launcher_take_stdout_fd(l, from_child[1]);
	c->proc = g_subprocess_launcher_spawn(l, &error, "/bin/sh", "-c", c->tunnel, NULL);
	g_object_unref(l); /* closes our copies of the child's ends */
	if (!c->proc) {
		close(to_child[1]);
		close(from_child[0]);
		*err_r = g_strdup(error->message);
		g_error_free(error);
		return -1;
	}
	c->fd = from_child[0];
	c->wfd = to_child[1];
	(void)fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	(void)fcntl(c->wfd, F_SETFL, fcntl(c->wfd, F_GETFL) | O_NONBLOCK);
	err = g_subprocess_get_stderr_pipe(c->proc);
	c->errfd = dup(g_unix_input_stream_get_fd(G_UNIX_INPUT_STREAM(err)));
	g_input_stream_close(err, NULL, NULL);
	if (c->errfd >= 0) {
		(void)fcntl(c->errfd, F_SETFD, FD_CLOEXEC);
		(void)fcntl(c->errfd, F_SETFL, fcntl(c->errfd, F_GETFL) | O_NONBLOCK);
		c->errtail = g_string_new(NULL);
		c->esrc = add_fd_source(c->errfd, G_IO_IN | G_IO_HUP, on_stderr, c);
	}
	return 0;
}

static gboolean
on_deferred_fail(gpointer data)
{
	struct net_conn *c = data;
	char *msg = g_steal_pointer(&c->deferred_err);

	g_source_unref(c->isrc);
	c->isrc = NULL;
	conn_fail(c, TERN_ERR_CONN, msg);
	g_free(msg);
	return G_SOURCE_REMOVE;
}

void
net_conn_connect(struct net_conn *c)
{
	char *err = NULL;

	g_return_if_fail(c->state == NET_ST_NEW);
	c->state = NET_ST_CONNECTING;
	c->csrc = add_timeout(c->connect_timeout_s * 1000, on_connect_timeout, c);
	if (!c->tunnel) {
		connect_tcp(c);
		return;
	}
	c->isrc = g_idle_source_new();
	g_source_set_priority(c->isrc, G_PRIORITY_DEFAULT);
	if (spawn_tunnel(c, &err) < 0) {
		/* report from the loop, never from inside this call */
		c->deferred_err = g_strdup_printf(_("cannot run the tunnel command: %s"), err);
		g_free(err);
		g_source_set_callback(c->isrc, on_deferred_fail, c, NULL);
	} else {
		g_source_set_callback(c->isrc, on_tunnel_up, c, NULL);
	}
	g_source_attach(c->isrc, g_main_context_get_thread_default());
}

/* ---- questions ---- */

gboolean
net_conn_is_loopback(struct net_conn *c)
{
	return c->loopback;
}

gboolean
net_conn_is_tunnel(struct net_conn *c)
{
	return c->tunnel != NULL;
}

gboolean
net_conn_is_tls(struct net_conn *c)
{
	return c->tls != NULL && c->tls_up;
}

gboolean
net_conn_is_compressed(struct net_conn *c)
{
	return c->z != NULL;
}

char *
net_conn_describe_tls(struct net_conn *c)
{
	return net_conn_is_tls(c) ? net_tls_describe(c->tls) : NULL;
}

gboolean
net_is_loopback_host(const char *host)
{
	GInetAddress *a;
	gboolean r;
	gsize n;

	if (!host || !*host)
		return FALSE;
	n = strlen(host);
	if (host[n - 1] == '.')
		n--;
	if ((n == 9 && g_ascii_strncasecmp(host, "localhost", 9) == 0) ||
	    (n > 10 && g_ascii_strncasecmp(host + n - 10, ".localhost", 10) == 0))
		return TRUE;
	a = g_inet_address_new_from_string(host);
	if (!a)
		return FALSE;
	r = g_inet_address_get_is_loopback(a);
	g_object_unref(a);
	return r;
}
