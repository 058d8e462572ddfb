/* tern — core/net: a bounded byte queue. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/net/net-private.h"

void
net_buf_init(struct net_buf *b, gsize max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

int
net_buf_append(struct net_buf *b, const void *p, gsize n)
{
	if (n == 0)
		return 0;
	if (n > b->max || b->len > b->max - n)
		return -1;
	if (b->off + b->len + n > b->cap) {
		if (b->off > 0) {
			memmove(b->data, b->data + b->off, b->len);
			b->off = 0;
		}
		if (b->len + n > b->cap) {
			gsize cap = b->cap ? b->cap : 4096;

			while (cap < b->len + n)
				cap = cap > G_MAXSIZE / 2 ? G_MAXSIZE : cap * 2;
			b->data = g_realloc(b->data, cap);
			b->cap = cap;
		}
	}
	memcpy(b->data + b->off + b->len, p, n);
	b->len += n;
	return 0;
}

void
net_buf_consume(struct net_buf *b, gsize n)
{
	g_assert(n <= b->len);
	b->off += n;
	b->len -= n;
	if (b->len == 0)
		b->off = 0;
}

int
net_buf_move(struct net_buf *dst, struct net_buf *src)
{
	if (net_buf_append(dst, net_buf_head(src), src->len) < 0)
		return -1;
	net_buf_reset(src);
	return 0;
}

void
net_buf_reset(struct net_buf *b)
{
	b->off = 0;
	b->len = 0;
}

void
net_buf_release(struct net_buf *b)
{
	g_free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}
