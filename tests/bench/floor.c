#define _GNU_SOURCE
/* tern — the protocol floor for benchmarks: a minimal IMAP client that
 * sends LOGIN, SELECT and the same UID FETCH as tern and reads to the
 * tagged OK without parsing anything. Plain TCP on loopback.
 *
 *   floor PORT USER PASSWORD FOLDER-AS-SENT FETCH-ITEMS
 * prints: bytes=N seconds=S */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 20];
static size_t total;

/* Read until a line starting with tag (at a line start) has arrived. */
static int
read_until(int fd, const char *tag)
{
	size_t taglen = strlen(tag);
	char tail[64] = "\n";
	size_t tail_len = 1;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);

		if (n <= 0)
			return -1;
		total += (size_t)n;
		/* look for "\n<tag> " across the chunk boundary */
		char *joined = malloc(tail_len + (size_t)n + 1);
		memcpy(joined, tail, tail_len);
		memcpy(joined + tail_len, buf, (size_t)n);
		joined[tail_len + (size_t)n] = '\0';
		char needle[32];
		snprintf(needle, sizeof needle, "\n%s ", tag);
		int found = memmem(joined, tail_len + (size_t)n, needle, strlen(needle)) != NULL;
		size_t keep = taglen + 2 < (size_t)n ? taglen + 2 : (size_t)n;
		memcpy(tail, buf + n - keep, keep);
		tail_len = keep;
		free(joined);
		if (found)
			return 0;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timespec t0, t1;
	char cmd[8192];
	int fd;

	if (argc != 6) {
		fprintf(stderr, "usage: floor PORT USER PASSWORD FOLDER ITEMS\n");
		return 64;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return 69;
	if (read(fd, buf, sizeof buf) <= 0)
		return 74;
	snprintf(cmd, sizeof cmd, "a LOGIN \"%s\" \"%s\"\r\n", argv[2], argv[3]);
	write(fd, cmd, strlen(cmd));
	if (read_until(fd, "a") < 0)
		return 74;
	snprintf(cmd, sizeof cmd, "b EXAMINE \"%s\"\r\n", argv[4]);
	write(fd, cmd, strlen(cmd));
	if (read_until(fd, "b") < 0)
		return 74;
	snprintf(cmd, sizeof cmd, "c UID FETCH 1:* (%s)\r\n", argv[5]);
	write(fd, cmd, strlen(cmd));
	if (read_until(fd, "c") < 0)
		return 74;
	write(fd, "d LOGOUT\r\n", 10);
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("bytes=%zu seconds=%.3f\n", total,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
