/* tern — mime/: GMime set-up and the shared parser options. */
#include "config.h"
#include "core/common.h"

#include "core/text/text.h"
#include "mime/mime-private.h"

#define MIME_DEFAULT_FALLBACK "windows-1252"

static GMimeParserOptions *parser_options;
static char *fallback_charset;
/* mime_init() calls not yet matched by mime_shutdown(): the command line
 * opens a second context inside the first (config check, per account), and
 * only the last shutdown may free what the first init made. */
static unsigned init_count;

static void
options_update(void)
{
	const char *charsets[] = { "UTF-8", mime_fallback_charset(), NULL };

	if (parser_options == NULL)
		return;
	g_mime_parser_options_set_fallback_charsets(parser_options, charsets);
}

void
mime_init(void)
{
	if (init_count++ > 0)
		return;
	g_mime_init();
	parser_options = g_mime_parser_options_new();
	g_mime_parser_options_set_rfc2047_compliance_mode(parser_options,
							  GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(parser_options,
							  GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(parser_options,
							    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_allow_addresses_without_domain(parser_options, TRUE);
	options_update();
	mime_crypto_init();
	text_set_header_decoder(mime_header_decode);
	text_set_body_extractor(mime_body_text);
	text_set_parts_extractor(mime_parts_text);
}

void
mime_shutdown(void)
{
	g_return_if_fail(init_count > 0);
	if (--init_count > 0)
		return;
	text_set_header_decoder(NULL);
	text_set_body_extractor(NULL);
	text_set_parts_extractor(NULL);
	if (parser_options != NULL)
		g_mime_parser_options_free(parser_options);
	parser_options = NULL;
	g_clear_pointer(&fallback_charset, g_free);
	mime_charset_cleanup();
	g_mime_shutdown();
}

void
mime_set_fallback_charset(const char *charset)
{
	g_free(fallback_charset);
	fallback_charset = (charset && *charset) ? g_strdup(charset) : NULL;
	options_update();
}

const char *
mime_fallback_charset(void)
{
	return fallback_charset ? fallback_charset : MIME_DEFAULT_FALLBACK;
}

GMimeParserOptions *
mime_parser_options(void)
{
	g_assert(parser_options != NULL && "mime_init() must be called first");
	return parser_options;
}
