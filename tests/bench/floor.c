#define _GNU_SOURCE
/* tern — the protocol floor for benchmarks: a minimal IMAP client that
 * sends LOGIN, EXAMINE and the same UID FETCH as tern and reads to the
 * tagged OK without parsing anything. Plain TCP on loopback.
 *
 *   floor PORT USER PASSWORD FOLDER-AS-SENT FETCH-ITEMS [compress]
 * prints: bytes=N seconds=S (N: bytes received from the server, on the
 * wire, i.e. compressed when compressing).
 *
 * "compress" sends COMPRESS DEFLATE after LOGIN, as tern does, and
 * inflates what follows to find the tags. It needs zlib: build with
 * -DFLOOR_ZLIB ... -lz (tests/bench/bench-cache.py does); without it the
 * mode is refused (exit 64). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef FLOOR_ZLIB
#include <zlib.h>
#endif

static char buf[1 << 20];
static size_t total;
static int compressing;
#ifdef FLOOR_ZLIB
static z_stream in_z, out_z;
static unsigned char plain[1 << 20];
#endif

/* Send a command (deflated once compressing). */
static int
send_cmd(int fd, const char *cmd)
{
	size_t len = strlen(cmd);

	if (!compressing)
		return write(fd, cmd, len) == (ssize_t)len ? 0 : -1;
#ifdef FLOOR_ZLIB
	{
		unsigned char out[16384];
		size_t n;

		out_z.next_in = (unsigned char *)cmd;
		out_z.avail_in = (unsigned)len;
		out_z.next_out = out;
		out_z.avail_out = sizeof out;
		if (deflate(&out_z, Z_SYNC_FLUSH) != Z_OK || out_z.avail_in != 0)
			return -1;
		n = sizeof out - out_z.avail_out;
		return write(fd, out, n) == (ssize_t)n ? 0 : -1;
	}
#else
	return -1;
#endif
}

/* Looks for "\n<tag> " in the plaintext, across chunk boundaries. */
struct scan {
	char needle[32];
	size_t needle_len;
	char tail[64];
	size_t tail_len;
	int found;
};

static void
scan_chunk(struct scan *sc, const char *p, size_t n)
{
	char *joined;
	size_t keep;

	if (n == 0 || sc->found)
		return;
	joined = malloc(sc->tail_len + n + 1);
	memcpy(joined, sc->tail, sc->tail_len);
	memcpy(joined + sc->tail_len, p, n);
	sc->found = memmem(joined, sc->tail_len + n, sc->needle, sc->needle_len) != NULL;
	keep = sc->needle_len < sc->tail_len + n ? sc->needle_len : sc->tail_len + n;
	memcpy(sc->tail, joined + sc->tail_len + n - keep, keep);
	sc->tail_len = keep;
	free(joined);
}

/* Read until the tagged line has arrived (inflating when compressing). */
static int
read_until(int fd, const char *tag)
{
	struct scan sc = { .tail = "\n", .tail_len = 1 };

	snprintf(sc.needle, sizeof sc.needle, "\n%s ", tag);
	sc.needle_len = strlen(sc.needle);
	while (!sc.found) {
		ssize_t n = read(fd, buf, sizeof buf);

		if (n <= 0)
			return -1;
		total += (size_t)n;
		if (!compressing) {
			scan_chunk(&sc, buf, (size_t)n);
			continue;
		}
#ifdef FLOOR_ZLIB
		in_z.next_in = (unsigned char *)buf;
		in_z.avail_in = (unsigned)n;
		do {
			int zrc;

			in_z.next_out = plain;
			in_z.avail_out = sizeof plain;
			zrc = inflate(&in_z, Z_SYNC_FLUSH);
			if (zrc != Z_OK && zrc != Z_BUF_ERROR)
				return -1;
			scan_chunk(&sc, (const char *)plain, sizeof plain - in_z.avail_out);
		} while (in_z.avail_in > 0 || in_z.avail_out == 0);
#endif
	}
	return 0;
}

static int
start_compress(int fd)
{
#ifdef FLOOR_ZLIB
	if (send_cmd(fd, "z COMPRESS DEFLATE\r\n") < 0 || read_until(fd, "z") < 0)
		return -1;
	if (inflateInit2(&in_z, -15) != Z_OK ||
	    deflateInit2(&out_z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
		    Z_OK)
		return -1;
	compressing = 1;
	return 0;
#else
	(void)fd;
	return -1;
#endif
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timespec t0, t1;
	char cmd[8192];
	int fd, compress;

	compress = argc == 7 && strcmp(argv[6], "compress") == 0;
	if (argc != 6 && !compress) {
		fprintf(stderr, "usage: floor PORT USER PASSWORD FOLDER ITEMS [compress]\n");
		return 64;
	}
#ifndef FLOOR_ZLIB
	if (compress) {
		fprintf(stderr, "floor: built without zlib (-DFLOOR_ZLIB ... -lz)\n");
		return 64;
	}
#endif
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return 69;
	if (read(fd, buf, sizeof buf) <= 0)
		return 74;
	snprintf(cmd, sizeof cmd, "a LOGIN \"%s\" \"%s\"\r\n", argv[2], argv[3]);
	if (send_cmd(fd, cmd) < 0 || read_until(fd, "a") < 0)
		return 74;
	if (compress && start_compress(fd) < 0)
		return 74;
	snprintf(cmd, sizeof cmd, "b EXAMINE \"%s\"\r\n", argv[4]);
	if (send_cmd(fd, cmd) < 0 || read_until(fd, "b") < 0)
		return 74;
	snprintf(cmd, sizeof cmd, "c UID FETCH 1:* (%s)\r\n", argv[5]);
	if (send_cmd(fd, cmd) < 0 || read_until(fd, "c") < 0)
		return 74;
	send_cmd(fd, "d LOGOUT\r\n");
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("bytes=%zu seconds=%.3f\n", total,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
