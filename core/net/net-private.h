/* tern — core/net internals, shared by conn.c, tls.c, zlib.c, buf.c only. */
#ifndef TERN_NET_PRIVATE_H
#define TERN_NET_PRIVATE_H

#include "core/net/net.h"

/* A byte queue: data[off .. off+len) is queued.  Appends past max fail. */
struct net_buf {
	guint8 *data;
	gsize off, len, cap, max;
};

void net_buf_init(struct net_buf *b, gsize max);
int net_buf_append(struct net_buf *b, const void *p, gsize n);
void net_buf_consume(struct net_buf *b, gsize n);
/* Move everything from src to the end of dst (src empties). */
int net_buf_move(struct net_buf *dst, struct net_buf *src);
void net_buf_reset(struct net_buf *b);	 /* empty, keep max */
void net_buf_release(struct net_buf *b); /* free the storage */

static inline const guint8 *
net_buf_head(const struct net_buf *b)
{
	return b->data + b->off;
}

/* TLS (tls.c), driven through memory BIOs: conn.c moves the raw bytes. */
struct net_tls;

/* Returns 0, or -1 with *st_r (TERN_ERR_CONFIG for a bad ca_file or pin,
 * TERN_ERR_AUTH otherwise) and *err_r (transfer full). */
int net_tls_new(struct net_tls **t_r, const char *host, const char *ca_file,
		const char *fingerprint, enum tern_status *st_r, char **err_r);
void net_tls_free(struct net_tls **t);
/* Feed bytes read from the peer. */
void net_tls_feed(struct net_tls *t, const void *p, gsize n);
/* Move what TLS wants sent to out.  Returns -1 if out is full. */
int net_tls_drain(struct net_tls *t, struct net_buf *out);
/* Step the handshake: 1 done and verified, 0 needs more input, -1 failed
 * (*st_r, *err_r transfer full). */
int net_tls_handshake(struct net_tls *t, enum tern_status *st_r, char **err_r);
/* Decrypt: >0 bytes, 0 needs more input, -1 peer sent close_notify,
 * -2 error (*err_r transfer full). */
gssize net_tls_read(struct net_tls *t, void *buf, gsize cap, char **err_r);
/* Encrypt: >0 bytes consumed, 0 must wait for input, -2 error. */
gssize net_tls_write(struct net_tls *t, const void *buf, gsize len, char **err_r);
/* Queue a close_notify. */
void net_tls_shutdown(struct net_tls *t);
char *net_tls_describe(struct net_tls *t);

/* COMPRESS=DEFLATE (zlib.c): raw deflate both ways. */
struct net_zlib;

struct net_zlib *net_zlib_new(void);
void net_zlib_free(struct net_zlib **z);
/* Compress n bytes into out; flush adds a sync flush.  Returns 0 / -1. */
int net_zlib_deflate(struct net_zlib *z, const void *in, gsize n, gboolean flush,
		     struct net_buf *out);
/* Inflate from *in (advanced) into out[cap]; *produced_r bytes written.
 * Returns 0, or -1 on corrupt data or data after the end of the stream. */
int net_zlib_inflate(struct net_zlib *z, const guint8 **in, gsize *in_len, guint8 *out, gsize cap,
		     gsize *produced_r);

#endif
