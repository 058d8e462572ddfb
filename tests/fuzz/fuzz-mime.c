/* libFuzzer target: parse + render + format + attachment list of any bytes,
 * and (data[0] & 4) the signed/encrypted structure walk first (GPGME off). */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "mime/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct mime_message *m;
	struct mime_render_opts opts;
	struct mime_rendered *r;
	char *out;

	if (!ready) {
		mime_init();
		mime_crypto_set_engine(false);
		ready = true;
	}
	m = mime_message_parse((const char *)data, size);
	if (size > 0 && (data[0] & 4))
		mime_message_process_crypto(m);
	mime_render_opts_init(&opts);
	opts.width = 72;
	opts.prefer_html = size > 0 && (data[0] & 1);
	opts.all_headers = size > 0 && (data[0] & 2);
	r = mime_render(m, &opts);
	out = mime_rendered_format(r);
	/* the output must be valid UTF-8 with no ESC or other raw controls */
	if (!g_utf8_validate(out, -1, NULL))
		__builtin_trap();
	for (const char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
			__builtin_trap();
	g_free(out);
	mime_rendered_free(&r);
	mime_message_free(&m);
	return 0;
}
