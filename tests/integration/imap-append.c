/* tern — a test driver for imap_client_append(): append FILE to FOLDER of
 * the config's account and print "APPENDUID <uidvalidity> <uid>".
 *   imap-append CONFIG FOLDER FILE [FLAG...]
 * Exit codes as tern's. */
#include "config.h"

#include <stdio.h>

#include "core/common.h"
#include "core/config/config.h"
#include "core/imap/client.h"

struct run {
	GMainLoop *loop;
	enum tern_status st;
	char *detail;
	guint32 uidvalidity, uid;
};

static void
connected(struct imap_client *c, enum tern_status st, const char *detail, void *ud)
{
	struct run *r = ud;

	r->st = st;
	r->detail = g_strdup(detail);
	g_main_loop_quit(r->loop);
}

static void
appended(struct imap_client *c, enum tern_status st, const char *detail,
	 const struct imap_copy_result *res, void *ud)
{
	struct run *r = ud;

	r->st = st;
	g_free(r->detail);
	r->detail = g_strdup(detail);
	if (res != NULL && res->dst_uids != NULL && res->dst_uids->len == 1) {
		r->uidvalidity = res->uidvalidity;
		r->uid = g_array_index(res->dst_uids, guint32, 0);
	}
	g_main_loop_quit(r->loop);
}

int
main(int argc, char **argv)
{
	struct run r = { 0 };
	struct config *cfg = NULL;
	const struct account *a;
	struct imap_client *c;
	GError *err = NULL;
	char *pw = NULL, *data = NULL;
	gsize len;
	GBytes *bytes;

	if (argc < 4) {
		fprintf(stderr, "usage: imap-append CONFIG FOLDER FILE [FLAG...]\n");
		return TERN_EXIT_USAGE;
	}
	if (config_load(argv[1], &cfg, &err) < 0 || (a = config_pick_account(cfg, NULL, &err)) == NULL ||
	    account_get_password(a, &pw, &err) < 0 || !g_file_get_contents(argv[3], &data, &len, &err)) {
		fprintf(stderr, "imap-append: %s\n", err->message);
		return TERN_EXIT_CONFIG;
	}
	r.loop = g_main_loop_new(NULL, FALSE);
	c = imap_client_new(a, pw, NULL, &r);
	config_secret_free(&pw);
	imap_client_connect(c, connected, &r);
	g_main_loop_run(r.loop);
	if (r.st == TERN_OK) {
		bytes = g_bytes_new_take(data, len);
		imap_client_append(c, argv[2], (const char *const *)(argv + 4), bytes, appended, &r);
		g_bytes_unref(bytes);
		g_main_loop_run(r.loop);
	} else {
		g_free(data);
	}
	if (r.st == TERN_OK)
		printf("APPENDUID %u %u\n", r.uidvalidity, r.uid);
	else
		fprintf(stderr, "imap-append: %s\n", r.detail != NULL ? r.detail : "failed");
	g_free(r.detail);
	imap_client_free(&c);
	g_main_loop_unref(r.loop);
	config_free(&cfg);
	return tern_status_exit_code(r.st);
}
