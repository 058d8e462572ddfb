/* tern — core/net: COMPRESS=DEFLATE (RFC 4978), raw deflate both ways. */
#include "config.h"
#include "core/common.h"

#include <string.h>
#include <zlib.h>

#include "core/net/net-private.h"

struct net_zlib {
	z_stream def, inf;
	gboolean inf_ended; /* the peer finished its deflate stream */
};

struct net_zlib *
net_zlib_new(void)
{
	struct net_zlib *z = g_new0(struct net_zlib, 1);

	if (deflateInit2(&z->def, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		g_error("deflateInit2 failed");
	if (inflateInit2(&z->inf, -15) != Z_OK)
		g_error("inflateInit2 failed");
	return z;
}

void
net_zlib_free(struct net_zlib **zp)
{
	struct net_zlib *z = *zp;

	if (!z)
		return;
	deflateEnd(&z->def);
	inflateEnd(&z->inf);
	g_free(z);
	*zp = NULL;
}

int
net_zlib_deflate(struct net_zlib *z, const void *in, gsize n, gboolean flush, struct net_buf *out)
{
	guint8 tmp[16384];
	int r;

	g_return_val_if_fail(n <= G_MAXUINT, -1);
	z->def.next_in = (Bytef *)in;
	z->def.avail_in = (uInt)n;
	do {
		z->def.next_out = tmp;
		z->def.avail_out = sizeof(tmp);
		r = deflate(&z->def, flush ? Z_SYNC_FLUSH : Z_NO_FLUSH);
		if (r != Z_OK && r != Z_BUF_ERROR)
			return -1;
		if (net_buf_append(out, tmp, sizeof(tmp) - z->def.avail_out) < 0)
			return -1;
	} while (z->def.avail_out == 0 || z->def.avail_in > 0);
	z->def.next_in = NULL;
	return 0;
}

int
net_zlib_inflate(struct net_zlib *z, const guint8 **in, gsize *in_len, guint8 *out, gsize cap,
		 gsize *produced_r)
{
	uInt give = *in_len > G_MAXUINT ? G_MAXUINT : (uInt)*in_len;
	int r;

	*produced_r = 0;
	if (z->inf_ended)
		return *in_len > 0 ? -1 : 0;
	z->inf.next_in = (Bytef *)*in;
	z->inf.avail_in = give;
	z->inf.next_out = out;
	z->inf.avail_out = cap > G_MAXUINT ? G_MAXUINT : (uInt)cap;
	r = inflate(&z->inf, Z_SYNC_FLUSH);
	*produced_r = (gsize)(z->inf.next_out - out);
	*in += give - z->inf.avail_in;
	*in_len -= give - z->inf.avail_in;
	z->inf.next_in = NULL;
	if (r == Z_STREAM_END) {
		z->inf_ended = TRUE;
		return 0;
	}
	if (r == Z_OK || r == Z_BUF_ERROR)
		return 0;
	return -1;
}
