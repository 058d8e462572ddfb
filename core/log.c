#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"
#include "core/log.h"

static FILE *log_file;

int
log_open(void)
{
	char *dir = g_build_filename(g_get_user_cache_dir(), "tern", NULL);
	char *path = g_build_filename(dir, "tern.log", NULL);
	int fd, rc = -1;

	if (g_mkdir_with_parents(dir, 0700) != 0)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		goto out;
	log_file = fdopen(fd, "a");
	if (log_file == NULL) {
		close(fd);
		goto out;
	}
	setvbuf(log_file, NULL, _IOLBF, 0);
	rc = 0;
out:
	g_free(path);
	g_free(dir);
	return rc;
}

void
log_close(void)
{
	if (log_file != NULL)
		fclose(log_file);
	log_file = NULL;
}

bool
log_enabled(void)
{
	return log_file != NULL;
}

static void
log_v(const char *level, const char *fmt, va_list ap)
{
	GDateTime *now;
	char *ts, *msg;

	if (log_file == NULL)
		return;
	now = g_date_time_new_now_local();
	ts = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
	msg = g_strdup_vprintf(fmt, ap);
	/* Server text may hold controls: escape them so the log stays lines. */
	for (char *p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			*p = '?';
	fprintf(log_file, "%s [%d] %s: %s\n", ts, (int)getpid(), level, msg);
	g_free(msg);
	g_free(ts);
	g_date_time_unref(now);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v("debug", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v("warn", fmt, ap);
	va_end(ap);
}
