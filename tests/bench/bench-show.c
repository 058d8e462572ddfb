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

/* A 20 MB text body instead: the line pipeline (sanitiser, wrapping) at work. */
static GString *
build_text_message(size_t bytes)
{
	GString *s = g_string_sized_new(bytes + 4096);
	static const char *const words[] = { "mail ", "reader ", "terminal ", "caf\xc3\xa9 ",
					     "\xe6\x97\xa5\xe6\x9c\xac ", "> ", "width " };
	guint32 x = 1;

	g_string_append(s, "From: Bench <bench@example.org>\r\nSubject: 20 MB of text\r\n"
			   "Content-Type: text/plain; charset=utf-8\r\n\r\n");
	while (s->len < bytes) {
		for (int w = 0; w < 14; w++) {
			x = x * 1103515245 + 12345;
			g_string_append(s, words[(x >> 16) % TERN_ARRAY_LEN(words)]);
		}
		g_string_append(s, (x >> 20) % 5 ? "\r\n" : "");
	}
	g_string_append(s, "\r\n");
	return s;
}

static void
run(const char *label, GString *msg, bool print_first)
{
	struct mime_render_opts opts;
	long rss_before = peak_rss_kb(), rss_after;
	gint64 t_parse = 0, t_render = 0, t_format = 0;
	size_t lines = 0;

	mime_render_opts_init(&opts);
	opts.width = 80;
	for (int round = 0; round < 3; round++) {
		gint64 t0 = g_get_monotonic_time(), t1, t2, t3;
		struct mime_message *m = mime_message_parse(msg->str, msg->len);
		struct mime_rendered *r;
		char *out;

		t1 = g_get_monotonic_time();
		r = mime_render(m, &opts);
		t2 = g_get_monotonic_time();
		out = mime_rendered_format(r);
		t3 = g_get_monotonic_time();
		t_parse += t1 - t0;
		t_render += t2 - t1;
		t_format += t3 - t2;
		lines = r->lines->len;
		if (round == 0 && print_first)
			fputs(out, stdout);
		g_free(out);
		mime_rendered_free(&r);
		mime_message_free(&m);
	}
	rss_after = peak_rss_kb();
	printf("== %s\n", label);
	printf("message size:        %zu bytes (%.1f MB), %zu body lines\n", msg->len,
	       msg->len / 1e6, lines);
	printf("parse:               %.1f ms (mean of 3)\n", t_parse / 3 / 1000.0);
	printf("render:              %.1f ms (attachment sizes decoded here)\n",
	       t_render / 3 / 1000.0);
	printf("format:              %.1f ms\n", t_format / 3 / 1000.0);
	printf("peak RSS:            %ld kB before, %ld kB after (+%ld kB, %.2f x the message)\n",
	       rss_before, rss_after, rss_after - rss_before,
	       (rss_after - rss_before) * 1024.0 / msg->len);
}

int
main(void)
{
	GString *msg;

	mime_init();
	/* 19 MB of base64 (76 columns + CRLF) holds 19e6 / 78 * 57 raw bytes */
	msg = build_message((size_t)BENCH_ATTACHMENT_BYTES / 78 * 57);
	run("20 MB message: short text part + 19 MB base64 attachment", msg, true);
	g_string_free(msg, TRUE);
	msg = build_text_message(20 * 1000 * 1000);
	run("20 MB text/plain body, wrapped to 80 columns", msg, false);
	g_string_free(msg, TRUE);
	mime_shutdown();
	return 0;
}
