/* tern — core/net: move bytes between a sans-I/O IMAP session and a server.
 *
 * A struct net_conn is one connection: TCP (IPv4 or IPv6, resolved without
 * blocking), optionally TLS (implicit or STARTTLS, OpenSSL 3), optionally
 * COMPRESS=DEFLATE, or a tunnel (a command's stdin/stdout).  Everything runs
 * on the thread-default GMainContext of the thread that called
 * net_conn_connect(); nothing here ever blocks it.
 *
 * Callbacks never fire from inside the call that caused them
 * (net_conn_connect(), net_conn_write(), ...), only from the main loop.
 * The connection holds a reference on itself around every callback, so a
 * callback may call net_conn_close() and drop the caller's reference.
 *
 * Exactly one of these ends a connection, after which no callback fires:
 *   connected(failure)  -- resolution, TCP connect, implicit TLS or tunnel failed
 *   tls_done(failure)   -- the STARTTLS handshake or its verification failed
 *   closed(...)         -- peer closed, I/O error, protocol error, timeout
 * net_conn_close() by the owner fires none of them.  A connection that ended
 * is never reused: make a new one.
 *
 * Status and detail: TERN_ERR_CONN (cannot connect, connection lost, timed
 * out), TERN_ERR_AUTH (TLS not trusted or impossible), TERN_ERR_PROTOCOL
 * (corrupt compressed stream), TERN_ERR_CONFIG (bad ca_file or pin).  The
 * detail is a translated sentence for the user; it may quote a tunnel's
 * stderr or a certificate's names, so pass it through the display sanitiser.
 */
#ifndef TERN_NET_H
#define TERN_NET_H

#include "core/common.h"

/* Bounds (named caps). */
#define NET_WRITE_QUEUE_MAX (64u * 1024 * 1024) /* bytes queued, not yet sent */
#define NET_CONNECT_TIMEOUT_DEFAULT 15		/* seconds, resolve + connect + TLS */
#define NET_TIMEOUT_DEFAULT 60			/* seconds without progress */
#define NET_LOW_SPEED_LIMIT 10			/* bytes/s without a line end that count */

enum net_tls_mode {
	NET_TLS_NONE,	  /* clear text (the caller allows it on loopback only) */
	NET_TLS_IMPLICIT, /* TLS from the first byte (port 993) */
	NET_TLS_STARTTLS, /* clear until net_conn_start_tls() */
};

struct net_opts {
	const char *host; /* name or address literal (IPv6 without brackets) */
	guint16 port;
	enum net_tls_mode tls;
	const char *ca_file;	 /* extra trust anchor (PEM), NULL for none */
	const char *fingerprint; /* "sha256:AB:CD:..." pin of the leaf certificate:
				  * accepted instead of chain and name checks */
	const char *tunnel;	 /* "/bin/sh -c" command speaking IMAP on its
				  * stdin/stdout; host, port, tls are then unused */
	guint connect_timeout_s; /* 0 = NET_CONNECT_TIMEOUT_DEFAULT */
	guint timeout_s;	 /* no-progress timeout; 0 = NET_TIMEOUT_DEFAULT */
	guint sndbuf;		 /* SO_SNDBUF in bytes, 0 = system default (tests) */
};

struct net_conn;

struct net_callbacks {
	/* TCP is up (and, for NET_TLS_IMPLICIT, TLS is up and verified), or
	 * the attempt failed (st != TERN_OK, detail says why). */
	void (*connected)(struct net_conn *c, enum tern_status st, const char *detail, void *ud);
	/* Plaintext from the server (after TLS and inflate), len > 0.  Returns
	 * how many bytes the callback used.  Return less than len only right
	 * after calling net_conn_start_tls() (the rest is pre-TLS plaintext
	 * and is discarded) or net_conn_start_compress() (the rest is the
	 * start of the compressed stream: it is inflated and delivered
	 * again).  Otherwise unused bytes are discarded with a warning.
	 * buf is valid only during the call. */
	gsize (*data)(struct net_conn *c, const char *buf, gsize len, void *ud);
	/* The STARTTLS handshake finished: st == TERN_OK, or it failed and the
	 * connection is gone. */
	void (*tls_done)(struct net_conn *c, enum tern_status st, const char *detail, void *ud);
	/* The connection ended after connected(TERN_OK): TERN_OK when the peer
	 * closed cleanly, TERN_ERR_CONN / TERN_ERR_PROTOCOL otherwise.  The
	 * detail "timed out" marks the no-progress timeout. */
	void (*closed)(struct net_conn *c, enum tern_status st, const char *detail, void *ud);
};

/* A new, idle connection.  opts and cb are copied (strings too); ud is not
 * owned.  Returns: transfer full (one reference; net_conn_unref()). */
struct net_conn *net_conn_new(const struct net_opts *opts, const struct net_callbacks *cb,
			      void *ud);

/* Start resolving and connecting (or spawn the tunnel).  Call once. */
void net_conn_connect(struct net_conn *c);

/* Queue len bytes for the server; returns 0, or -1 when the connection has
 * ended or the queue would exceed NET_WRITE_QUEUE_MAX (nothing queued).
 * Bytes queued before connected(TERN_OK) are sent once it is up.  All
 * writes made in one main-loop turn are compressed and flushed together. */
int net_conn_write(struct net_conn *c, const void *buf, gsize len);

/* STARTTLS: call after the server's tagged OK to STARTTLS.  From this call
 * on, any plaintext already read and not yet delivered, and anything that
 * arrives before the handshake, is discarded (never delivered); when
 * called from the data callback, return the count of bytes used up to the
 * end of the OK line.  Bytes written but not yet sent are held back and
 * sent encrypted.  Then handshake and verification; tls_done reports.
 * Returns 0, or -1 when not connected in clear or already done. */
int net_conn_start_tls(struct net_conn *c);

/* COMPRESS=DEFLATE (RFC 4978, raw deflate) both ways: call after the
 * tagged OK.  Bytes written before this call are sent uncompressed, bytes
 * after it compressed; from the data callback, return the count used up to
 * the end of the OK line.  Returns 0, or -1 if not connected or already
 * compressing. */
int net_conn_start_compress(struct net_conn *c);

/* While waiting is TRUE (a command is in flight), timeout_s seconds without
 * progress ends the connection: closed(TERN_ERR_CONN, "timed out").  Progress
 * is a byte sent, a line end received, or NET_LOW_SPEED_LIMIT * timeout_s
 * bytes received without one (curl's LOW_SPEED_LIMIT/TIME): a response that
 * trickles in slower than that never completing a line is a stall.  A queued write that makes no progress, and a STARTTLS
 * handshake, are timed the same way whatever this says. */
void net_conn_expect_reply(struct net_conn *c, gboolean waiting);

/* TRUE when the peer's address is a loopback address (never for a tunnel). */
gboolean net_conn_is_loopback(struct net_conn *c);
gboolean net_conn_is_tunnel(struct net_conn *c);
/* TRUE once TLS is up and verified. */
gboolean net_conn_is_tls(struct net_conn *c);
gboolean net_conn_is_compressed(struct net_conn *c);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384", or NULL without TLS.
 * Returns: transfer full (g_free). */
char *net_conn_describe_tls(struct net_conn *c);

/* End the connection now: drop what is queued, close the socket (and send
 * TLS close_notify if it fits), stop a tunnel's command.  No callback
 * fires.  Safe to call more than once and from a callback. */
void net_conn_close(struct net_conn *c);

/* Returns: c, with one more reference. */
struct net_conn *net_conn_ref(struct net_conn *c);
/* Drop a reference, set *c to NULL; the last one closes and frees. */
void net_conn_unref(struct net_conn **c);

/* TRUE for "localhost" (and "*.localhost") and loopback address literals
 * (127.0.0.0/8, ::1).  No name resolution. */
gboolean net_is_loopback_host(const char *host);

/* Parse a pin: optional "sha256:" prefix (any case), 64 hex digits, colons
 * optional.  Returns 0 and fills digest_r, or -1 (with *err_r, transfer
 * full, when err_r is not NULL). */
int net_fingerprint_parse(const char *text, guint8 digest_r[32], char **err_r);

#endif
