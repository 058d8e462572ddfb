/* tern — tests for core/net against the scripted fake server
 * (tests/fake/fake-imapd.py) on 127.0.0.1, certificates from certs.py. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include <gio/gio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/net/net.h"

#define RUN_LIMIT_S 5 /* no test should wait longer for anything */

static char *certdir;

/* ---- the fake server ---- */

struct fake {
	GSubprocess *proc;
	guint16 port;
	char *script;
};

static char *
cert(const char *name)
{
	return g_build_filename(certdir, name, NULL);
}

static char *
fake_path(void)
{
	return g_test_build_filename(G_TEST_DIST, "tests", "fake", "fake-imapd.py", NULL);
}

static char *
write_script(const char *text)
{
	char *path = NULL;
	GError *error = NULL;
	int fd = g_file_open_tmp("tern-fake-XXXXXX.script", &path, &error);

	g_assert_no_error(error);
	close(fd);
	g_file_set_contents(path, text, -1, &error);
	g_assert_no_error(error);
	return path;
}

/* Start the server listening on addr with the script text and (optionally)
 * a certificate; NULL when it cannot listen there. */
static struct fake *
fake_start_at(const char *addr, const char *script, const char *certname)
{
	struct fake *f = g_new0(struct fake, 1);
	char *py = fake_path(), *crt = cert(certname ? certname : "server.pem");
	char *key = cert("server.key"), *line;
	GError *error = NULL;
	GDataInputStream *out;

	f->script = write_script(script);
	f->proc =
	    g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "python3", py, "--cert", crt,
			     "--key", key, "--timeout", "5", "--listen", addr, f->script, NULL);
	g_assert_no_error(error);
	out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(f->proc));
	line = g_data_input_stream_read_line(out, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(line);
	if (g_str_has_prefix(line, "PORT ")) {
		f->port = (guint16)atoi(line + 5);
	} else {
		g_test_message("fake server: %s", line);
		g_assert_true(g_subprocess_wait(f->proc, NULL, NULL));
		g_clear_object(&f->proc);
		unlink(f->script);
		g_free(f->script);
		g_clear_pointer(&f, g_free);
	}
	g_free(line);
	g_object_unref(out);
	g_free(py);
	g_free(crt);
	g_free(key);
	return f;
}

static struct fake *
fake_start(const char *script, const char *certname)
{
	struct fake *f = fake_start_at("127.0.0.1", script, certname);

	g_assert_nonnull(f);
	return f;
}

/* Wait for the server to exit; returns its exit status. */
static int
fake_finish(struct fake **fp)
{
	struct fake *f = *fp;
	GError *error = NULL;
	int st;

	g_subprocess_wait(f->proc, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(f->proc));
	st = g_subprocess_get_exit_status(f->proc);
	g_object_unref(f->proc);
	unlink(f->script);
	g_free(f->script);
	g_free(f);
	*fp = NULL;
	return st;
}

/* ---- a client driven by the main loop ---- */

struct tctx {
	struct net_conn *c;
	GString *got;
	int connected, tls_done, closed; /* times each callback fired */
	enum tern_status conn_st, tls_st, closed_st;
	char *detail;
	const char *switch_at; /* on this text: start TLS or COMPRESS */
	gboolean switch_compress;
	gboolean switched;
};

static void
record(struct tctx *t, const char *detail)
{
	g_free(t->detail);
	t->detail = g_strdup(detail);
	if (detail && g_test_verbose())
		g_test_message("detail: %s", detail);
}

static void
on_connected(struct net_conn *c, enum tern_status st, const char *detail, void *ud)
{
	struct tctx *t = ud;

	(void)c;
	t->connected++;
	t->conn_st = st;
	record(t, detail);
}

static void
on_tls_done(struct net_conn *c, enum tern_status st, const char *detail, void *ud)
{
	struct tctx *t = ud;

	(void)c;
	t->tls_done++;
	t->tls_st = st;
	record(t, detail);
}

static void
on_closed(struct net_conn *c, enum tern_status st, const char *detail, void *ud)
{
	struct tctx *t = ud;

	(void)c;
	t->closed++;
	t->closed_st = st;
	record(t, detail);
}

static gsize
on_data(struct net_conn *c, const char *buf, gsize len, void *ud)
{
	struct tctx *t = ud;
	gsize before = t->got->len;
	const char *at;
	gsize end;

	g_string_append_len(t->got, buf, (gssize)len);
	if (!t->switch_at || t->switched)
		return len;
	at = strstr(t->got->str, t->switch_at);
	if (!at)
		return len;
	end = (gsize)(at - t->got->str) + strlen(t->switch_at);
	g_assert_cmpuint(end, >=, before);
	g_string_truncate(t->got, end);
	t->switched = TRUE;
	if (t->switch_compress)
		g_assert_cmpint(net_conn_start_compress(c), ==, 0);
	else
		g_assert_cmpint(net_conn_start_tls(c), ==, 0);
	return end - before;
}

static const struct net_callbacks test_cb = {
    .connected = on_connected,
    .data = on_data,
    .tls_done = on_tls_done,
    .closed = on_closed,
};

static gboolean
wake(gpointer data)
{
	(void)data;
	return G_SOURCE_CONTINUE;
}

#define RUN_UNTIL(cond)                                                                            \
	do {                                                                                       \
		gint64 d_ = g_get_monotonic_time() + RUN_LIMIT_S * G_USEC_PER_SEC;                 \
		guint w_ = g_timeout_add(20, wake, NULL);                                          \
		while (!(cond) && g_get_monotonic_time() < d_)                                     \
			g_main_context_iteration(NULL, TRUE);                                      \
		g_source_remove(w_);                                                               \
		g_assert_true(cond);                                                               \
	} while (0)

#define HAS(t, s) (strstr((t)->got->str, (s)) != NULL)

static struct tctx *
client_new(struct net_opts *o)
{
	struct tctx *t = g_new0(struct tctx, 1);

	t->got = g_string_new(NULL);
	t->c = net_conn_new(o, &test_cb, t);
	net_conn_connect(t->c);
	return t;
}

static void
client_free(struct tctx **tp)
{
	struct tctx *t = *tp;

	net_conn_close(t->c);
	net_conn_unref(&t->c);
	/* let GIO finish its cancelled work so nothing leaks */
	for (int i = 0; i < 20 && g_main_context_iteration(NULL, FALSE); i++)
		;
	g_string_free(t->got, TRUE);
	g_free(t->detail);
	g_free(t);
	*tp = NULL;
}

static void
write_str(struct tctx *t, const char *s)
{
	g_assert_cmpint(net_conn_write(t->c, s, strlen(s)), ==, 0);
}

static struct net_opts
opts_for(struct fake *f, enum net_tls_mode tls)
{
	struct net_opts o = {.host = "127.0.0.1", .port = f->port, .tls = tls};

	return o;
}

/* ---- pure functions ---- */

static void
test_loopback_host(void)
{
	static const struct {
		const char *host;
		gboolean loop;
	} rows[] = {
	    {"localhost", TRUE},
	    {"LOCALHOST.", TRUE},
	    {"imap.localhost", TRUE},
	    {"127.0.0.1", TRUE},
	    {"127.9.8.7", TRUE},
	    {"::1", TRUE},
	    {"localhost.example.com", FALSE},
	    {"mylocalhost", FALSE},
	    {"10.0.0.1", FALSE},
	    {"::2", FALSE},
	    {"example.com", FALSE},
	    {"", FALSE},
	    {NULL, FALSE},
	};

	for (gsize i = 0; i < TERN_ARRAY_LEN(rows); i++)
		g_assert_cmpint(net_is_loopback_host(rows[i].host), ==, rows[i].loop);
}

static void
test_fingerprint_parse(void)
{
	static const struct {
		const char *text;
		int ok;
	} rows[] = {
	    {"sha256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	     "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff",
	     0},
	    {"SHA256:00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF", 0},
	    {"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 0},
	    {"00112233445566778899aabbccddeeff00112233445566778899aabbccddeef", -1},
	    {"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00", -1},
	    {"sha1:00112233445566778899aabbccddeeff00112233", -1},
	    {"zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", -1},
	    {"", -1},
	};
	guint8 md[32];

	for (gsize i = 0; i < TERN_ARRAY_LEN(rows); i++) {
		char *err = NULL;

		g_assert_cmpint(net_fingerprint_parse(rows[i].text, md, &err), ==, rows[i].ok);
		g_assert_true((err != NULL) == (rows[i].ok < 0));
		g_free(err);
		if (rows[i].ok == 0) {
			g_assert_cmpint(md[0], ==, 0x00);
			g_assert_cmpint(md[31], ==, 0xff);
		}
	}
}

/* The write queue refuses what would go past NET_WRITE_QUEUE_MAX. */
static void
test_write_cap(void)
{
	struct net_opts o = {.host = "127.0.0.1", .port = 9};
	struct net_conn *c = net_conn_new(&o, &test_cb, NULL);
	gsize chunk = 1024 * 1024;
	char *buf = g_malloc0(chunk);

	for (gsize i = 0; i < NET_WRITE_QUEUE_MAX / chunk; i++)
		g_assert_cmpint(net_conn_write(c, buf, chunk), ==, 0);
	g_assert_cmpint(net_conn_write(c, buf, 1), ==, -1);
	net_conn_close(c);
	g_assert_cmpint(net_conn_write(c, buf, 1), ==, -1);
	net_conn_unref(&c);
	g_assert_null(c);
	g_free(buf);
}

/* ---- clear text ---- */

static void
test_plain_roundtrip(void)
{
	struct fake *f = fake_start("S: * OK ready\n"
				    "C: a1 NOOP\n"
				    "S: a1 OK done\n"
				    "CLOSE\n",
				    NULL);
	struct net_opts o = opts_for(f, NET_TLS_NONE);
	struct tctx *t = client_new(&o);

	RUN_UNTIL(t->connected);
	g_assert_cmpint(t->conn_st, ==, TERN_OK);
	g_assert_true(net_conn_is_loopback(t->c));
	g_assert_false(net_conn_is_tls(t->c));
	g_assert_false(net_conn_is_tunnel(t->c));
	g_assert_null(net_conn_describe_tls(t->c));
	RUN_UNTIL(HAS(t, "* OK ready\r\n"));
	write_str(t, "a1 NOOP\r\n");
	net_conn_expect_reply(t->c, TRUE);
	RUN_UNTIL(t->closed);
	g_assert_cmpstr(t->got->str, ==, "* OK ready\r\na1 OK done\r\n");
	g_assert_cmpint(t->closed_st, ==, TERN_OK);
	g_assert_cmpint(t->connected, ==, 1);
	g_assert_cmpint(net_conn_write(t->c, "x", 1), ==, -1); /* never reused */
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

static void
test_plain_reset(void)
{
	struct fake *f = fake_start("S: * OK ready\nC: a1 NOOP\nRESET\n", NULL);
	struct net_opts o = opts_for(f, NET_TLS_NONE);
	struct tctx *t = client_new(&o);

	RUN_UNTIL(HAS(t, "* OK ready\r\n"));
	write_str(t, "a1 NOOP\r\n");
	RUN_UNTIL(t->closed);
	g_assert_cmpint(t->closed_st, ==, TERN_ERR_CONN);
	g_assert_nonnull(strstr(t->detail, "connection lost"));
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

/* The fake server fails when the client sends what the script does not
 * expect: the harness can prove what was (not) sent. */
static void
test_fake_mismatch(void)
{
	struct fake *f = fake_start("S: * OK ready\nEXPECT_EOF\n", NULL);
	struct net_opts o = opts_for(f, NET_TLS_NONE);
	struct tctx *t = client_new(&o);

	RUN_UNTIL(HAS(t, "* OK ready\r\n"));
	write_str(t, "a1 LOGIN me secret\r\n");
	RUN_UNTIL(t->closed);
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 1);
}

static void
test_refused(void)
{
	GSocket *s =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *sa = g_inet_socket_address_new(lo, 0), *bound;
	struct net_opts o = {.host = "127.0.0.1"};
	struct tctx *t;

	/* a port that was free a moment ago, with nothing listening */
	g_assert_true(g_socket_bind(s, sa, FALSE, NULL));
	bound = g_socket_get_local_address(s, NULL);
	o.port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_socket_close(s, NULL);
	t = client_new(&o);
	RUN_UNTIL(t->connected);
	g_assert_cmpint(t->conn_st, ==, TERN_ERR_CONN);
	g_assert_nonnull(strstr(t->detail, "cannot connect"));
	g_assert_cmpint(t->closed, ==, 0);
	client_free(&t);
	g_object_unref(bound);
	g_object_unref(sa);
	g_object_unref(lo);
	g_object_unref(s);
}

static void
test_ipv6(void)
{
	struct fake *f = fake_start_at("::1", "S: * OK six\nEXPECT_EOF\n", NULL);
	struct net_opts o = {.host = "::1"};
	struct tctx *t;

	if (!f) {
		g_test_skip("no IPv6 loopback here");
		return;
	}
	o.port = f->port;
	t = client_new(&o);
	RUN_UNTIL(HAS(t, "* OK six\r\n"));
	g_assert_true(net_conn_is_loopback(t->c));
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

/* The connect timeout covers the implicit TLS handshake: a server that
 * accepts and then says nothing. */
static void
test_connect_timeout(void)
{
	struct fake *f = fake_start("SLEEP 1.4\nCLOSE\n", NULL);
	struct net_opts o = opts_for(f, NET_TLS_IMPLICIT);
	struct tctx *t;
	gint64 t0 = g_get_monotonic_time();

	o.connect_timeout_s = 1;
	t = client_new(&o);
	RUN_UNTIL(t->connected);
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 900000);
	g_assert_cmpint(t->conn_st, ==, TERN_ERR_CONN);
	g_assert_nonnull(strstr(t->detail, "timed out"));
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

/* ---- TLS ---- */

static void
test_tls_implicit(void)
{
	struct fake *f = fake_start("TLS\n"
				    "S: * OK secure\n"
				    "C: a1 NOOP\n"
				    "S: a1 OK done\n"
				    "EXPECT_EOF\n",
				    NULL);
	struct net_opts o = opts_for(f, NET_TLS_IMPLICIT);
	char *ca = cert("ca.pem"), *desc;
	struct tctx *t;

	o.host = "localhost";
	o.ca_file = ca;
	t = client_new(&o);
	RUN_UNTIL(t->connected);
	g_assert_cmpint(t->conn_st, ==, TERN_OK);
	g_assert_true(net_conn_is_tls(t->c));
	desc = net_conn_describe_tls(t->c);
	g_assert_true(g_str_has_prefix(desc, "TLSv1."));
	g_free(desc);
	RUN_UNTIL(HAS(t, "* OK secure\r\n"));
	write_str(t, "a1 NOOP\r\n");
	RUN_UNTIL(HAS(t, "a1 OK done\r\n"));
	g_assert_cmpstr(t->got->str, ==, "* OK secure\r\na1 OK done\r\n");
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
	g_free(ca);
}

/* Connect with TLS to the server's certificate; expect a refusal whose
 * detail contains want. */
static void
tls_refused(const char *certname, const char *host, gboolean with_ca, const char *pin,
	    enum tern_status want_st, const char *want)
{
	struct fake *f = fake_start("TLS_REFUSED\n", certname);
	struct net_opts o = opts_for(f, NET_TLS_IMPLICIT);
	char *ca = cert("ca.pem");
	struct tctx *t;

	o.host = host;
	o.ca_file = with_ca ? ca : NULL;
	o.fingerprint = pin;
	t = client_new(&o);
	RUN_UNTIL(t->connected);
	g_assert_cmpint(t->conn_st, ==, want_st);
	if (!strstr(t->detail, want))
		g_error("detail \"%s\" lacks \"%s\"", t->detail, want);
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
	g_free(ca);
}

static void
test_tls_wrong_host(void)
{
	tls_refused("other.pem", "localhost", TRUE, NULL, TERN_ERR_AUTH,
		    "certificate is for other.example, not localhost");
	tls_refused("other.pem", "127.0.0.1", TRUE, NULL, TERN_ERR_AUTH,
		    "certificate is for other.example, not 127.0.0.1");
}

static void
test_tls_self_signed(void)
{
	tls_refused("selfsigned.pem", "localhost", FALSE, NULL, TERN_ERR_AUTH,
		    "certificate not trusted: self");
	/* the CA is for other certificates */
	tls_refused("selfsigned.pem", "localhost", TRUE, NULL, TERN_ERR_AUTH,
		    "certificate not trusted: self");
}

static void
test_tls_untrusted_ca(void)
{
	tls_refused("server.pem", "localhost", FALSE, NULL, TERN_ERR_AUTH,
		    "certificate not trusted: unable to get local issuer");
}

static void
test_tls_expired(void)
{
	tls_refused("expired.pem", "localhost", TRUE, NULL, TERN_ERR_AUTH,
		    "certificate not trusted: certificate has expired");
}

static char *
pin_of(const char *certname, gboolean colons)
{
	char *path = cert(certname);
	FILE *fp = fopen(path, "r");
	X509 *x;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	GString *s = g_string_new(colons ? "SHA256:" : "");

	g_assert_nonnull(fp);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	g_assert_nonnull(x);
	g_assert_cmpint(X509_digest(x, EVP_sha256(), md, &len), ==, 1);
	for (unsigned i = 0; i < len; i++)
		g_string_append_printf(s, colons ? (i ? ":%02X" : "%02X") : "%02x", md[i]);
	X509_free(x);
	g_free(path);
	return g_string_free(s, FALSE);
}

static void
pinned_ok(const char *host, const char *pin)
{
	struct fake *f = fake_start("TLS\nS: * OK pinned\nEXPECT_EOF\n", "selfsigned.pem");
	struct net_opts o = opts_for(f, NET_TLS_IMPLICIT);
	struct tctx *t;

	o.host = host;
	o.fingerprint = pin;
	t = client_new(&o);
	RUN_UNTIL(t->connected);
	g_assert_cmpint(t->conn_st, ==, TERN_OK);
	RUN_UNTIL(HAS(t, "* OK pinned\r\n"));
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

static void
test_tls_pin(void)
{
	char *pin = pin_of("selfsigned.pem", TRUE), *bare = pin_of("selfsigned.pem", FALSE);

	pinned_ok("127.0.0.1", pin);
	pinned_ok("localhost", bare);
	g_free(pin);
	g_free(bare);
}

static void
test_tls_pin_wrong(void)
{
	char *pin = pin_of("server.pem", TRUE);

	/* a pin of another certificate refuses even a CA-valid chain */
	tls_refused("selfsigned.pem", "localhost", TRUE, pin, TERN_ERR_AUTH,
		    "does not match the pinned one");
	g_free(pin);
	tls_refused("selfsigned.pem", "localhost", FALSE, "sha256:12", TERN_ERR_CONFIG,
		    "fingerprint");
}

/* Implicit TLS to a server that talks clear text. */
static void
test_tls_plain_server(void)
{
	struct fake *f = fake_start("S: * OK clear\nEXPECT_EOF\n", NULL);
	struct net_opts o = opts_for(f, NET_TLS_IMPLICIT);
	struct tctx *t = client_new(&o);

	RUN_UNTIL(t->connected);
	g_assert_cmpint(t->conn_st, ==, TERN_ERR_AUTH);
	g_assert_nonnull(strstr(t->detail, "TLS handshake failed"));
	g_assert_cmpuint(t->got->len, ==, 0);
	client_free(&t);
	/* whether our ClientHello left before the greeting arrived is a race */
	(void)fake_finish(&f);
}

/* STARTTLS; plaintext in the same segment as the OK is never delivered. */
static void
test_starttls(void)
{
	struct fake *f = fake_start("S: * OK ready\n"
				    "C: a1 STARTTLS\n"
				    "RAW: b\"a1 OK begin TLS\\r\\n* OK injected\\r\\n\"\n"
				    "TLS\n"
				    "C: a2 NOOP\n"
				    "S: a2 OK secure\n"
				    "EXPECT_EOF\n",
				    NULL);
	struct net_opts o = opts_for(f, NET_TLS_STARTTLS);
	char *ca = cert("ca.pem");
	struct tctx *t;

	o.ca_file = ca;
	t = client_new(&o);
	t->switch_at = "a1 OK begin TLS\r\n";
	RUN_UNTIL(HAS(t, "* OK ready\r\n"));
	g_assert_false(net_conn_is_tls(t->c));
	write_str(t, "a1 STARTTLS\r\n");
	RUN_UNTIL(t->switched);
	/* written during the handshake: held back, then sent encrypted */
	write_str(t, "a2 NOOP\r\n");
	RUN_UNTIL(t->tls_done);
	g_assert_cmpint(t->tls_st, ==, TERN_OK);
	g_assert_true(net_conn_is_tls(t->c));
	RUN_UNTIL(HAS(t, "a2 OK secure\r\n"));
	g_assert_cmpstr(t->got->str, ==, "* OK ready\r\na1 OK begin TLS\r\na2 OK secure\r\n");
	g_assert_cmpint(net_conn_start_tls(t->c), ==, -1);
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
	g_free(ca);
}

/* Plaintext that arrives after the OK, before the handshake, is fed to the
 * TLS layer and kills the handshake: it is never delivered. */
static void
test_starttls_injected_late(void)
{
	struct fake *f = fake_start("S: * OK ready\n"
				    "C: a1 STARTTLS\n"
				    "S: a1 OK begin TLS\n"
				    "SLEEP 0.2\n"
				    "S: * OK injected\n"
				    "TLS_REFUSED\n",
				    NULL);
	struct net_opts o = opts_for(f, NET_TLS_STARTTLS);
	char *ca = cert("ca.pem");
	struct tctx *t;

	o.ca_file = ca;
	t = client_new(&o);
	t->switch_at = "a1 OK begin TLS\r\n";
	RUN_UNTIL(HAS(t, "* OK ready\r\n"));
	write_str(t, "a1 STARTTLS\r\n");
	RUN_UNTIL(t->tls_done);
	g_assert_cmpint(t->tls_st, ==, TERN_ERR_AUTH);
	g_assert_cmpint(t->closed, ==, 0);
	g_assert_false(HAS(t, "injected"));
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
	g_free(ca);
}

/* ---- timeouts ---- */

static void
test_timeout_stall(void)
{
	struct fake *f = fake_start("S: * OK ready\n"
				    "C: a1 NOOP\n"
				    "SLEEP 1.3\n"
				    "EXPECT_EOF\n",
				    NULL);
	struct net_opts o = opts_for(f, NET_TLS_NONE);
	struct tctx *t;
	gint64 t0;

	o.timeout_s = 1;
	t = client_new(&o);
	RUN_UNTIL(HAS(t, "* OK ready\r\n"));
	write_str(t, "a1 NOOP\r\n");
	net_conn_expect_reply(t->c, TRUE);
	t0 = g_get_monotonic_time();
	RUN_UNTIL(t->closed);
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 900000);
	g_assert_cmpint(t->closed_st, ==, TERN_ERR_CONN);
	g_assert_cmpstr(t->detail, ==, "timed out");
	g_assert_cmpint(net_conn_write(t->c, "x", 1), ==, -1);
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

/* Idle without a command in flight never times out. */
static void
test_timeout_idle(void)
{
	struct fake *f = fake_start("S: * OK ready\n"
				    "C: a1 NOOP\n"
				    "S: a1 OK still here\n"
				    "EXPECT_EOF\n",
				    NULL);
	struct net_opts o = opts_for(f, NET_TLS_NONE);
	struct tctx *t;
	gint64 t0;

	o.timeout_s = 1;
	t = client_new(&o);
	RUN_UNTIL(HAS(t, "* OK ready\r\n"));
	t0 = g_get_monotonic_time();
	while (g_get_monotonic_time() - t0 < 1200000) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(10000);
	}
	g_assert_cmpint(t->closed, ==, 0);
	write_str(t, "a1 NOOP\r\n");
	net_conn_expect_reply(t->c, TRUE); /* the wait starts now, not at the greeting */
	RUN_UNTIL(HAS(t, "a1 OK still here\r\n") || t->closed);
	g_assert_cmpint(t->closed, ==, 0);
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

/* A slow reply that keeps coming (a byte every 50 ms for 1.15 s) is not a
 * stall. */
static void
test_timeout_drip(void)
{
	struct fake *f = fake_start("S: * OK ready\n"
				    "C: a1 NOOP\n"
				    "DRIP 0.05 a1 OK slow but steady\n"
				    "EXPECT_EOF\n",
				    NULL);
	struct net_opts o = opts_for(f, NET_TLS_NONE);
	struct tctx *t;
	gint64 t0;

	o.timeout_s = 1;
	t = client_new(&o);
	RUN_UNTIL(HAS(t, "* OK ready\r\n"));
	write_str(t, "a1 NOOP\r\n");
	net_conn_expect_reply(t->c, TRUE);
	t0 = g_get_monotonic_time();
	RUN_UNTIL(HAS(t, "steady\r\n") || t->closed);
	g_assert_cmpint(t->closed, ==, 0);
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 1000000);
	net_conn_expect_reply(t->c, FALSE);
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

/* ---- tunnel ---- */

static void
test_tunnel_cat(void)
{
	struct net_opts o = {.tunnel = "exec cat"};
	struct tctx *t = client_new(&o);

	RUN_UNTIL(t->connected);
	g_assert_cmpint(t->conn_st, ==, TERN_OK);
	g_assert_true(net_conn_is_tunnel(t->c));
	g_assert_false(net_conn_is_loopback(t->c));
	g_assert_false(net_conn_is_tls(t->c));
	g_assert_cmpint(net_conn_start_tls(t->c), ==, -1);
	write_str(t, "* PREAUTH hello\r\n");
	RUN_UNTIL(HAS(t, "* PREAUTH hello\r\n"));
	client_free(&t);
}

static void
test_tunnel_fake(void)
{
	char *py = fake_path();
	char *script = write_script("S: * PREAUTH tunnel\n"
				    "C: * CAPABILITY\n"
				    "S: * CAPABILITY IMAP4rev1\n"
				    "S: $TAG OK done\n"
				    "EXPECT_EOF\n");
	char *cmd = g_strdup_printf("exec python3 '%s' --stdio --timeout 5 '%s'", py, script);
	struct net_opts o = {.tunnel = cmd};
	struct tctx *t = client_new(&o);

	RUN_UNTIL(HAS(t, "* PREAUTH tunnel\r\n"));
	write_str(t, "x7 CAPABILITY\r\n");
	RUN_UNTIL(HAS(t, "x7 OK done\r\n"));
	client_free(&t);
	unlink(script);
	g_free(script);
	g_free(cmd);
	g_free(py);
}

static void
test_tunnel_fail(void)
{
	struct net_opts o = {.tunnel = "echo 'ssh: no route to host' >&2; exit 3"};
	struct tctx *t = client_new(&o);

	RUN_UNTIL(t->closed || (t->connected && t->conn_st != TERN_OK));
	g_assert_cmpint(t->conn_st, ==, TERN_OK);
	g_assert_nonnull(strstr(t->detail, "ssh: no route to host"));
	client_free(&t);
}

/* ---- COMPRESS ---- */

static char *
sha256_hex(const guint8 *p, gsize n)
{
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, p, n);
}

static void
test_compress(void)
{
	gsize big = 3 * 1024 * 1024;
	guint8 *data = g_malloc(big);
	char *sum, *script;
	struct fake *f;
	struct net_opts o;
	struct tctx *t;

	for (gsize i = 0; i < big; i++)
		data[i] = (guint8)((i * 7) ^ (i >> 11)); /* compressible, not trivial */
	sum = sha256_hex(data, big);
	/* the OK and the first compressed bytes arrive in one segment */
	script = g_strdup_printf("S: * OK ready\n"
				 "C: a1 COMPRESS DEFLATE\n"
				 "CORK\n"
				 "S: a1 OK deflating\n"
				 "COMPRESS\n"
				 "S: * OK compressed hello\n"
				 "UNCORK\n"
				 "C: a2 APPEND\n"
				 "READ %" G_GSIZE_FORMAT " sha256:%s\n"
				 "SEND_BYTES 1000000 y\n"
				 "S: a2 OK done\n"
				 "EXPECT_EOF\n",
				 big, sum);
	f = fake_start(script, NULL);
	o = opts_for(f, NET_TLS_NONE);
	t = client_new(&o);
	t->switch_at = "a1 OK deflating\r\n";
	t->switch_compress = TRUE;
	RUN_UNTIL(HAS(t, "* OK ready\r\n"));
	write_str(t, "a1 COMPRESS DEFLATE\r\n");
	RUN_UNTIL(HAS(t, "* OK compressed hello\r\n"));
	g_assert_true(net_conn_is_compressed(t->c));
	g_assert_cmpint(net_conn_start_compress(t->c), ==, -1);
	write_str(t, "a2 APPEND\r\n");
	g_assert_cmpint(net_conn_write(t->c, data, big), ==, 0);
	RUN_UNTIL(HAS(t, "a2 OK done\r\n"));
	g_assert_cmpuint(t->got->len, ==,
			 strlen("* OK ready\r\na1 OK deflating\r\n* OK compressed hello\r\n") +
			     1000000 + strlen("a2 OK done\r\n"));
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
	g_free(script);
	g_free(sum);
	g_free(data);
}

/* Garbage where the compressed stream should be: a protocol error. */
static void
test_compress_corrupt(void)
{
	struct fake *f = fake_start("S: * OK ready\n"
				    "C: a1 COMPRESS DEFLATE\n"
				    "S: a1 OK deflating\n"
				    "SLEEP 0.1\n"
				    "RAW: b\"\\xff\\xff\\xff\\xff\"\n"
				    "EXPECT_EOF\n",
				    NULL);
	struct net_opts o = opts_for(f, NET_TLS_NONE);
	struct tctx *t = client_new(&o);

	t->switch_at = "a1 OK deflating\r\n";
	t->switch_compress = TRUE;
	RUN_UNTIL(HAS(t, "* OK ready\r\n"));
	write_str(t, "a1 COMPRESS DEFLATE\r\n");
	RUN_UNTIL(t->closed);
	g_assert_cmpint(t->closed_st, ==, TERN_ERR_PROTOCOL);
	g_assert_cmpstr(t->got->str, ==, "* OK ready\r\na1 OK deflating\r\n");
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
}

/* ---- big writes with a tiny send buffer ---- */

static void
big_write(enum net_tls_mode tls)
{
	gsize big = 5 * 1024 * 1024;
	guint8 *data = g_malloc(big);
	char *sum, *script, *ca = cert("ca.pem");
	struct fake *f;
	struct net_opts o;
	struct tctx *t;

	for (gsize i = 0; i < big; i++)
		data[i] = (guint8)(g_test_rand_int() & 0xff);
	sum = sha256_hex(data, big);
	script = g_strdup_printf("%s"
				 "S: * OK ready\n"
				 "SLEEP 0.1\n"
				 "READ %" G_GSIZE_FORMAT " sha256:%s\n"
				 "S: a1 OK got it\n"
				 "EXPECT_EOF\n",
				 tls == NET_TLS_IMPLICIT ? "TLS\n" : "", big, sum);
	f = fake_start(script, NULL);
	o = opts_for(f, tls);
	o.ca_file = ca;
	o.sndbuf = 4096;
	o.timeout_s = 2;
	t = client_new(&o);
	g_assert_cmpint(net_conn_write(t->c, data, big), ==, 0); /* before connected */
	RUN_UNTIL(HAS(t, "a1 OK got it\r\n") || t->closed);
	g_assert_cmpint(t->closed, ==, 0);
	client_free(&t);
	g_assert_cmpint(fake_finish(&f), ==, 0);
	g_free(script);
	g_free(sum);
	g_free(data);
	g_free(ca);
}

static void
test_big_write_plain(void)
{
	big_write(NET_TLS_NONE);
}

static void
test_big_write_tls(void)
{
	big_write(NET_TLS_IMPLICIT);
}

/* ---- main ---- */

static void
make_certs(void)
{
	char *py = g_test_build_filename(G_TEST_DIST, "tests", "fake", "certs.py", NULL);
	GError *error = NULL;
	GSubprocess *p;

	certdir = g_dir_make_tmp("tern-certs-XXXXXX", &error);
	g_assert_no_error(error);
	p = g_subprocess_new(G_SUBPROCESS_FLAGS_NONE, &error, "python3", py, certdir, NULL);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_wait_check(p, NULL, &error));
	g_assert_no_error(error);
	g_object_unref(p);
	g_free(py);
}

static void
remove_certs(void)
{
	GDir *d = g_dir_open(certdir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		char *path = g_build_filename(certdir, name, NULL);

		unlink(path);
		g_free(path);
	}
	if (d)
		g_dir_close(d);
	rmdir(certdir);
	g_free(certdir);
}

static void
drop_log(const char *domain, GLogLevelFlags level, const char *msg, gpointer ud)
{
	(void)domain;
	(void)level;
	(void)msg;
	(void)ud;
}

int
main(int argc, char **argv)
{
	int r;

	g_test_init(&argc, &argv, NULL);
	g_log_set_handler("GLib-GIO", G_LOG_LEVEL_DEBUG, drop_log, NULL); /* chatter */
	make_certs();
	g_test_add_func("/net/loopback-host", test_loopback_host);
	g_test_add_func("/net/fingerprint-parse", test_fingerprint_parse);
	g_test_add_func("/net/write-cap", test_write_cap);
	g_test_add_func("/net/plain/roundtrip", test_plain_roundtrip);
	g_test_add_func("/net/plain/reset", test_plain_reset);
	g_test_add_func("/net/plain/fake-mismatch", test_fake_mismatch);
	g_test_add_func("/net/refused", test_refused);
	g_test_add_func("/net/ipv6", test_ipv6);
	g_test_add_func("/net/connect-timeout", test_connect_timeout);
	g_test_add_func("/net/tls/implicit", test_tls_implicit);
	g_test_add_func("/net/tls/wrong-host", test_tls_wrong_host);
	g_test_add_func("/net/tls/self-signed", test_tls_self_signed);
	g_test_add_func("/net/tls/untrusted-ca", test_tls_untrusted_ca);
	g_test_add_func("/net/tls/expired", test_tls_expired);
	g_test_add_func("/net/tls/pin", test_tls_pin);
	g_test_add_func("/net/tls/pin-wrong", test_tls_pin_wrong);
	g_test_add_func("/net/tls/plain-server", test_tls_plain_server);
	g_test_add_func("/net/starttls/ok", test_starttls);
	g_test_add_func("/net/starttls/injected-late", test_starttls_injected_late);
	g_test_add_func("/net/timeout/stall", test_timeout_stall);
	g_test_add_func("/net/timeout/idle", test_timeout_idle);
	g_test_add_func("/net/timeout/drip", test_timeout_drip);
	g_test_add_func("/net/tunnel/cat", test_tunnel_cat);
	g_test_add_func("/net/tunnel/fake", test_tunnel_fake);
	g_test_add_func("/net/tunnel/fail", test_tunnel_fail);
	g_test_add_func("/net/compress/roundtrip", test_compress);
	g_test_add_func("/net/compress/corrupt", test_compress_corrupt);
	g_test_add_func("/net/big-write/plain", test_big_write_plain);
	g_test_add_func("/net/big-write/tls", test_big_write_tls);
	r = g_test_run();
	remove_certs();
	return r;
}
