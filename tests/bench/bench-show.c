/* Benchmark: parse + render of a 20 MB message (19 MB base64 attachment and a
 * short text part), the way `tern show` does it. Prints time and peak RSS. */
#include "config.h"
#include "core/common.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "mime/mime.h"

#define BENCH_ATTACHMENT_BYTES (19 * 1000 * 1000)

static long
peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static GString *
build_message(size_t raw_bytes)
{
	GString *s = g_string_sized_new(raw_bytes / 3 * 4 + raw_bytes / 3 * 4 / 76 * 2 + 4096);
	guchar chunk[57];
	guint32 x = 12345;

	g_string_append(s, "From: Bench <bench@example.org>\r\n"
			   "To: you@example.org\r\n"
			   "Subject: 20 MB benchmark\r\n"
			   "Date: Wed, 31 Jan 2024 12:00:00 +0000\r\n"
			   "MIME-Version: 1.0\r\n"
			   "Content-Type: multipart/mixed; boundary=\"bench-boundary\"\r\n"
			   "\r\n"
			   "--bench-boundary\r\n"
			   "Content-Type: text/plain; charset=utf-8\r\n"
			   "\r\n"
			   "Here is the big file you asked for.\r\n"
			   "\r\n"
			   "--bench-boundary\r\n"
			   "Content-Type: application/octet-stream\r\n"
			   "Content-Disposition: attachment; filename=\"big.bin\"\r\n"
			   "Content-Transfer-Encoding: base64\r\n"
			   "\r\n");
	for (size_t done = 0; done < raw_bytes; done += sizeof chunk) {
		char *line;

		for (size_t i = 0; i < sizeof chunk; i++) {
			x = x * 1103515245 + 12345;
			chunk[i] = (guchar)(x >> 16);
		}
		line = g_base64_encode(chunk, sizeof chunk);
		g_string_append(s, line);
		g_string_append(s, "\r\n");
		g_free(line);
	}
	g_string_append(s, "--bench-boundary--\r\n");
	return s;
}

int
main(void)
{
	struct mime_render_opts opts;
	long rss_before, rss_after;
	GString *msg;
	gint64 t0, t1, t2;

	mime_init();
	msg = build_message(BENCH_ATTACHMENT_BYTES / 4 * 3);
	rss_before = peak_rss_kb();
	mime_render_opts_init(&opts);
	opts.width = 80;
	t0 = g_get_monotonic_time();
	for (int round = 0; round < 3; round++) {
		struct mime_message *m = mime_message_parse(msg->str, msg->len);
		struct mime_rendered *r = mime_render(m, &opts);
		char *out;

		t1 = g_get_monotonic_time();
		out = mime_rendered_format(r);
		if (round == 0)
			fputs(out, stdout);
		g_free(out);
		mime_rendered_free(&r);
		mime_message_free(&m);
	}
	t2 = g_get_monotonic_time();
	rss_after = peak_rss_kb();
	printf("message size:          %zu bytes (%.1f MB)\n", msg->len, msg->len / 1e6);
	printf("parse+render+format:   %.1f ms per message (mean of 3)\n",
	       (t2 - t0) / 3 / 1000.0);
	printf("peak RSS with message: %ld kB before parsing, %ld kB after\n", rss_before,
	       rss_after);
	printf("RSS added by parsing:  %ld kB (%.2f x message size)\n", rss_after - rss_before,
	       (rss_after - rss_before) * 1024.0 / msg->len);
	(void)t1;
	g_string_free(msg, TRUE);
	mime_shutdown();
	return 0;
}
