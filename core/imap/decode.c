/* tern — core/imap/decode.c: layer 2, one handler per response.
 *
 * Each handler reads the argument tree of one untagged response and fills
 * its member of struct imap_response's union. FETCH, ENVELOPE and
 * BODYSTRUCTURE live in fetch.c. */
#include "config.h"
#include "core/common.h"

#include <string.h>

#include "core/imap/imap-private.h"

/* ======================================================================== */
/* Helpers                                                                  */
/* ======================================================================== */

static int
dec_fail(struct imap_decoder *dec, const char *what)
{
	return imap_fail(dec->error, IMAP_ERROR_PROTOCOL, _("IMAP protocol error: bad %s in %s response"),
			 what, dec->resp->name != NULL ? dec->resp->name : "?");
}

int
imap_dec_nstring(struct imap_decoder *dec, const struct imap_arg *arg, const char *what,
		 const char **value_r)
{
	bool ok;

	*value_r = imap_arg_nstring(arg, &ok);
	return ok ? 0 : dec_fail(dec, what);
}

int
imap_dec_string(struct imap_decoder *dec, const struct imap_arg *arg, const char *what,
		const char **value_r)
{
	if (!imap_arg_is_astring(arg))
		return dec_fail(dec, what);
	*value_r = arg->data;
	return 0;
}

int
imap_dec_u32(struct imap_decoder *dec, const struct imap_arg *arg, const char *what,
	     bool nonzero, uint32_t *value_r)
{
	if (imap_arg_uint32(arg, value_r) < 0)
		return imap_fail(dec->error, IMAP_ERROR_PROTOCOL,
				 _("IMAP protocol error: %s is not a 32-bit number"), what);
	if (nonzero && *value_r == 0)
		return imap_fail(dec->error, IMAP_ERROR_PROTOCOL,
				 _("IMAP protocol error: %s is 0"), what);
	return 0;
}

int
imap_dec_u64(struct imap_decoder *dec, const struct imap_arg *arg, const char *what,
	     uint64_t *value_r)
{
	if (imap_arg_uint64(arg, value_r) < 0)
		return imap_fail(dec->error, IMAP_ERROR_PROTOCOL,
				 _("IMAP protocol error: %s is not a 64-bit number"), what);
	return 0;
}

int
imap_dec_strv(struct imap_decoder *dec, const struct imap_arg *args, size_t n, bool atoms_only,
	      const char *what, const char *const **strv_r)
{
	const char **strv = imap_resp_alloc(dec->resp, (n + 1) * sizeof(*strv));

	for (size_t i = 0; i < n; i++) {
		if (args[i].type != IMAP_ARG_ATOM && (atoms_only || !imap_arg_is_string(&args[i])))
			return dec_fail(dec, what);
		strv[i] = args[i].data;
	}
	*strv_r = strv;
	return 0;
}

static int
dec_seqset(struct imap_decoder *dec, const char *s, size_t len, bool allow_star,
	   const struct imap_seqset **set_r)
{
	struct imap_seqset *set = imap_seqset_parse(s, (gssize)len,
						    allow_star ? IMAP_SEQSET_ALLOW_STAR : 0, NULL);

	if (set == NULL)
		return imap_fail(dec->error, IMAP_ERROR_PROTOCOL,
				 _("IMAP protocol error: bad sequence set in %s response"),
				 dec->resp->name);
	*set_r = imap_resp_keep_seqset(dec->resp, set);
	return 0;
}

static int
dec_seqset_arg(struct imap_decoder *dec, const struct imap_arg *arg, bool allow_star,
	       const struct imap_seqset **set_r)
{
	if (arg == NULL || arg->type != IMAP_ARG_ATOM)
		return dec_fail(dec, "sequence set");
	return dec_seqset(dec, arg->data, arg->len, allow_star, set_r);
}

/* ======================================================================== */
/* Response codes                                                           */
/* ======================================================================== */

static const struct {
	const char *name;
	enum imap_code code;
} code_names[] = {
	{"ALERT", IMAP_CODE_ALERT},
	{"CAPABILITY", IMAP_CODE_CAPABILITY},
	{"PERMANENTFLAGS", IMAP_CODE_PERMANENTFLAGS},
	{"UIDVALIDITY", IMAP_CODE_UIDVALIDITY},
	{"UIDNEXT", IMAP_CODE_UIDNEXT},
	{"UNSEEN", IMAP_CODE_UNSEEN},
	{"HIGHESTMODSEQ", IMAP_CODE_HIGHESTMODSEQ},
	{"NOMODSEQ", IMAP_CODE_NOMODSEQ},
	{"APPENDUID", IMAP_CODE_APPENDUID},
	{"COPYUID", IMAP_CODE_COPYUID},
	{"TRYCREATE", IMAP_CODE_TRYCREATE},
	{"READ-ONLY", IMAP_CODE_READ_ONLY},
	{"READ-WRITE", IMAP_CODE_READ_WRITE},
	{"CLOSED", IMAP_CODE_CLOSED},
	{"PARSE", IMAP_CODE_PARSE},
	{"BADCHARSET", IMAP_CODE_BADCHARSET},
	{"UIDNOTSTICKY", IMAP_CODE_UIDNOTSTICKY},
	{"NONEXISTENT", IMAP_CODE_NONEXISTENT},
	{"ALREADYEXISTS", IMAP_CODE_ALREADYEXISTS},
	{"AUTHENTICATIONFAILED", IMAP_CODE_AUTHENTICATIONFAILED},
	{"AUTHORIZATIONFAILED", IMAP_CODE_AUTHORIZATIONFAILED},
	{"UNAVAILABLE", IMAP_CODE_UNAVAILABLE},
	{"EXPIRED", IMAP_CODE_EXPIRED},
	{"PRIVACYREQUIRED", IMAP_CODE_PRIVACYREQUIRED},
	{"CONTACTADMIN", IMAP_CODE_CONTACTADMIN},
	{"NOPERM", IMAP_CODE_NOPERM},
	{"INUSE", IMAP_CODE_INUSE},
	{"EXPUNGEISSUED", IMAP_CODE_EXPUNGEISSUED},
	{"CORRUPTION", IMAP_CODE_CORRUPTION},
	{"SERVERBUG", IMAP_CODE_SERVERBUG},
	{"CLIENTBUG", IMAP_CODE_CLIENTBUG},
	{"CANNOT", IMAP_CODE_CANNOT},
	{"LIMIT", IMAP_CODE_LIMIT},
	{"OVERQUOTA", IMAP_CODE_OVERQUOTA},
	{"NOTSAVED", IMAP_CODE_NOTSAVED},
	{"HASCHILDREN", IMAP_CODE_HASCHILDREN},
	{"UNKNOWN-CTE", IMAP_CODE_UNKNOWN_CTE},
	{"MODIFIED", IMAP_CODE_MODIFIED},
};

static int
code_fail(struct imap_decoder *dec, const char *name)
{
	return imap_fail(dec->error, IMAP_ERROR_PROTOCOL,
			 _("IMAP protocol error: bad [%s] response code"), name);
}

/* "( flag … )" as the only argument. */
static int
code_flag_list(struct imap_decoder *dec, const struct imap_arg *args, size_t n, bool optional,
	       struct imap_resp_code *code)
{
	if (n == 0 && optional) {
		code->strv = imap_resp_alloc(dec->resp, sizeof(char *));
		return 0;
	}
	if (n != 1 || args[0].type != IMAP_ARG_LIST)
		return code_fail(dec, code->name);
	return imap_dec_strv(dec, args[0].children, args[0].n_children, false, code->name,
			     &code->strv);
}

static int
code_args(struct imap_decoder *dec, struct imap_resp_code *code, const struct imap_arg *a,
	  size_t n)
{
	switch (code->code) {
	case IMAP_CODE_CAPABILITY:
		return imap_dec_strv(dec, a, n, true, code->name, &code->strv);
	case IMAP_CODE_PERMANENTFLAGS:
		return code_flag_list(dec, a, n, false, code);
	case IMAP_CODE_BADCHARSET:
		return code_flag_list(dec, a, n, true, code);
	case IMAP_CODE_UIDVALIDITY:
	case IMAP_CODE_UIDNEXT:
	case IMAP_CODE_UNSEEN:
		if (n != 1)
			return code_fail(dec, code->name);
		return imap_dec_u32(dec, &a[0], code->name, true, &code->number);
	case IMAP_CODE_HIGHESTMODSEQ:
		if (n != 1)
			return code_fail(dec, code->name);
		return imap_dec_u64(dec, &a[0], code->name, &code->modseq);
	case IMAP_CODE_APPENDUID:
		if (n != 2 || imap_dec_u32(dec, &a[0], code->name, true, &code->number) < 0)
			return code_fail(dec, code->name);
		return dec_seqset_arg(dec, &a[1], false, &code->set2);
	case IMAP_CODE_COPYUID:
		if (n != 3 || imap_dec_u32(dec, &a[0], code->name, true, &code->number) < 0 ||
		    dec_seqset_arg(dec, &a[1], false, &code->set1) < 0)
			return code_fail(dec, code->name);
		return dec_seqset_arg(dec, &a[2], false, &code->set2);
	case IMAP_CODE_MODIFIED:
		if (n != 1)
			return code_fail(dec, code->name);
		return dec_seqset_arg(dec, &a[0], false, &code->set1);
	default:
		return 0;
	}
}

int
imap_decode_resp_code(struct imap_decoder *dec, const char *name, const char *args,
		      struct imap_resp_code *code)
{
	const struct imap_arg *a = NULL;
	size_t n = 0;

	if (name == NULL) {
		code->code = IMAP_CODE_NONE;
		return 0;
	}
	code->code = IMAP_CODE_UNKNOWN;
	for (size_t i = 0; i < TERN_ARRAY_LEN(code_names); i++) {
		if (strcmp(name, code_names[i].name) == 0)
			code->code = code_names[i].code;
	}
	switch (code->code) {
	case IMAP_CODE_CAPABILITY:
	case IMAP_CODE_PERMANENTFLAGS:
	case IMAP_CODE_BADCHARSET:
	case IMAP_CODE_UIDVALIDITY:
	case IMAP_CODE_UIDNEXT:
	case IMAP_CODE_UNSEEN:
	case IMAP_CODE_HIGHESTMODSEQ:
	case IMAP_CODE_APPENDUID:
	case IMAP_CODE_COPYUID:
	case IMAP_CODE_MODIFIED:
		break;
	default:
		return 0; /* arguments, if any, stay as text */
	}
	if (args != NULL &&
	    imap_tree_parse_text(dec->resp, args, strlen(args), dec->limits, &a, &n, dec->error) < 0)
		return -1;
	return code_args(dec, code, a, n);
}

/* ======================================================================== */
/* Mailbox names                                                            */
/* ======================================================================== */

static bool
has_8bit(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] >= 0x80)
			return true;
	}
	return false;
}

/* Fills the raw name and its UTF-8 form (NULL when undecodable). */
static int
dec_mailbox(struct imap_decoder *dec, const struct imap_arg *arg, const char **raw_r,
	    size_t *raw_len_r, const char **name_r)
{
	char *utf8;

	if (!imap_arg_is_astring(arg))
		return dec_fail(dec, "mailbox name");
	*raw_r = arg->data;
	*raw_len_r = arg->len;
	*name_r = NULL;
	if (arg->len == 5 && g_ascii_strcasecmp(arg->data, "INBOX") == 0) {
		*name_r = "INBOX";
		return 0;
	}
	if (memchr(arg->data, '\0', arg->len) != NULL)
		return 0;
	if (dec->utf8_accept) {
		if (g_utf8_validate_len(arg->data, arg->len, NULL))
			*name_r = arg->data;
		return 0;
	}
	utf8 = imap_mutf7_decode(arg->data, (gssize)arg->len, NULL);
	if (utf8 != NULL) {
		*name_r = imap_resp_strdup(dec->resp, utf8, strlen(utf8));
		g_free(utf8);
	} else if (has_8bit(arg->data, arg->len) && g_utf8_validate_len(arg->data, arg->len, NULL)) {
		/* Some servers send raw UTF-8 without UTF8=ACCEPT: show it
		 * (it still has to be addressed by raw_name). */
		*name_r = arg->data;
	}
	return 0;
}

/* ======================================================================== */
/* LIST / LSUB                                                              */
/* ======================================================================== */

static const struct {
	const char *name;
	unsigned flag;
	bool special;
} mailbox_attrs[] = {
	{"\\Noselect", IMAP_MAILBOX_NOSELECT, false},
	{"\\NoInferiors", IMAP_MAILBOX_NOINFERIORS, false},
	{"\\Marked", IMAP_MAILBOX_MARKED, false},
	{"\\Unmarked", IMAP_MAILBOX_UNMARKED, false},
	{"\\HasChildren", IMAP_MAILBOX_HASCHILDREN, false},
	{"\\HasNoChildren", IMAP_MAILBOX_HASNOCHILDREN, false},
	{"\\NonExistent", IMAP_MAILBOX_NONEXISTENT | IMAP_MAILBOX_NOSELECT, false},
	{"\\Subscribed", IMAP_MAILBOX_SUBSCRIBED, false},
	{"\\Remote", IMAP_MAILBOX_REMOTE, false},
	{"\\All", IMAP_SPECIAL_ALL, true},
	{"\\Archive", IMAP_SPECIAL_ARCHIVE, true},
	{"\\Drafts", IMAP_SPECIAL_DRAFTS, true},
	{"\\Flagged", IMAP_SPECIAL_FLAGGED, true},
	{"\\Junk", IMAP_SPECIAL_JUNK, true},
	{"\\Sent", IMAP_SPECIAL_SENT, true},
	{"\\Trash", IMAP_SPECIAL_TRASH, true},
	{"\\Important", IMAP_SPECIAL_IMPORTANT, true},
};

static void
list_attributes(struct imap_list *list)
{
	for (size_t i = 0; list->attributes[i] != NULL; i++) {
		for (size_t j = 0; j < TERN_ARRAY_LEN(mailbox_attrs); j++) {
			if (g_ascii_strcasecmp(list->attributes[i], mailbox_attrs[j].name) != 0)
				continue;
			if (mailbox_attrs[j].special)
				list->special_use |= mailbox_attrs[j].flag;
			else
				list->flags |= mailbox_attrs[j].flag;
		}
	}
}

/* mbox-list-extended: "(" [tag SP value *(SP tag SP value)] ")" */
static int
list_extended(struct imap_decoder *dec, const struct imap_arg *ext, struct imap_list *list)
{
	if (ext->type != IMAP_ARG_LIST || ext->n_children % 2 != 0)
		return dec_fail(dec, "extended data");
	for (size_t i = 0; i < ext->n_children; i += 2) {
		const struct imap_arg *tag = &ext->children[i], *val = &ext->children[i + 1];
		const char *raw, *name;
		size_t raw_len;

		if (!imap_arg_is_astring(tag))
			return dec_fail(dec, "extended data");
		if (g_ascii_strcasecmp(tag->data, "OLDNAME") == 0 && val->type == IMAP_ARG_LIST &&
		    val->n_children == 1) {
			if (dec_mailbox(dec, &val->children[0], &raw, &raw_len, &name) < 0)
				return -1;
			list->old_name = name;
		} else if (g_ascii_strcasecmp(tag->data, "CHILDINFO") == 0 &&
			   val->type == IMAP_ARG_LIST) {
			for (size_t j = 0; j < val->n_children; j++) {
				if (imap_arg_is_astring(&val->children[j]) &&
				    g_ascii_strcasecmp(val->children[j].data, "SUBSCRIBED") == 0)
					list->childinfo_subscribed = true;
			}
		}
	}
	return 0;
}

static int
decode_list(struct imap_decoder *dec, const struct imap_arg *a, size_t n)
{
	struct imap_list *list = &dec->resp->u.list;

	list->lsub = strcmp(dec->resp->name, "LSUB") == 0;
	if (n < 3 || n > 4 || a[0].type != IMAP_ARG_LIST)
		return dec_fail(dec, "arguments");
	if (imap_dec_strv(dec, a[0].children, a[0].n_children, true, "attribute",
			  &list->attributes) < 0)
		return -1;
	list_attributes(list);
	if (a[1].type == IMAP_ARG_NIL)
		list->delimiter = '\0';
	else if (imap_arg_is_string(&a[1]) && a[1].len == 1 && a[1].data[0] != '\0' &&
		 (unsigned char)a[1].data[0] < 0x80)
		list->delimiter = a[1].data[0];
	else
		return dec_fail(dec, "delimiter");
	if (dec_mailbox(dec, &a[2], &list->raw_name, &list->raw_name_len, &list->name) < 0)
		return -1;
	if (n == 4)
		return list_extended(dec, &a[3], list);
	return 0;
}

/* ======================================================================== */
/* STATUS                                                                   */
/* ======================================================================== */

static int
status_item(struct imap_decoder *dec, const struct imap_arg *name, const struct imap_arg *val,
	    struct imap_mailbox_status *st)
{
	static const struct {
		const char *name;
		unsigned flag;
		size_t offset;
		bool wide;
	} items[] = {
		{"MESSAGES", IMAP_MSTATUS_MESSAGES, G_STRUCT_OFFSET(struct imap_mailbox_status, messages), false},
		{"RECENT", IMAP_MSTATUS_RECENT, G_STRUCT_OFFSET(struct imap_mailbox_status, recent), false},
		{"UIDNEXT", IMAP_MSTATUS_UIDNEXT, G_STRUCT_OFFSET(struct imap_mailbox_status, uidnext), false},
		{"UIDVALIDITY", IMAP_MSTATUS_UIDVALIDITY, G_STRUCT_OFFSET(struct imap_mailbox_status, uidvalidity), false},
		{"UNSEEN", IMAP_MSTATUS_UNSEEN, G_STRUCT_OFFSET(struct imap_mailbox_status, unseen), false},
		{"DELETED", IMAP_MSTATUS_DELETED, G_STRUCT_OFFSET(struct imap_mailbox_status, deleted), false},
		{"HIGHESTMODSEQ", IMAP_MSTATUS_HIGHESTMODSEQ, G_STRUCT_OFFSET(struct imap_mailbox_status, highestmodseq), true},
		{"SIZE", IMAP_MSTATUS_SIZE, G_STRUCT_OFFSET(struct imap_mailbox_status, size), true},
	};

	if (name->type != IMAP_ARG_ATOM)
		return dec_fail(dec, "status item");
	for (size_t i = 0; i < TERN_ARRAY_LEN(items); i++) {
		void *field = (char *)st + items[i].offset;

		if (g_ascii_strcasecmp(name->data, items[i].name) != 0)
			continue;
		st->present |= items[i].flag;
		if (items[i].wide)
			return imap_dec_u64(dec, val, items[i].name, field);
		return imap_dec_u32(dec, val, items[i].name, false, field);
	}
	return 0; /* unknown item: skipped */
}

static int
decode_status(struct imap_decoder *dec, const struct imap_arg *a, size_t n)
{
	struct imap_mailbox_status *st = &dec->resp->u.mstatus;

	if (n != 2 || a[1].type != IMAP_ARG_LIST || a[1].n_children % 2 != 0)
		return dec_fail(dec, "arguments");
	if (dec_mailbox(dec, &a[0], &st->raw_name, &st->raw_name_len, &st->name) < 0)
		return -1;
	for (size_t i = 0; i < a[1].n_children; i += 2) {
		if (status_item(dec, &a[1].children[i], &a[1].children[i + 1], st) < 0)
			return -1;
	}
	return 0;
}

/* ======================================================================== */
/* SEARCH, ESEARCH, VANISHED                                                */
/* ======================================================================== */

static int
decode_search(struct imap_decoder *dec, const struct imap_arg *a, size_t n)
{
	struct imap_search *s = &dec->resp->u.search;
	uint32_t *numbers = imap_resp_alloc(dec->resp, (n + 1) * sizeof(*numbers));

	for (size_t i = 0; i < n; i++) {
		if (i == n - 1 && a[i].type == IMAP_ARG_LIST) {
			/* "(MODSEQ n)" (RFC 7162) */
			if (a[i].n_children != 2 || !imap_arg_atom_is(&a[i].children[0], "MODSEQ") ||
			    imap_dec_u64(dec, &a[i].children[1], "MODSEQ", &s->modseq) < 0)
				return dec_fail(dec, "MODSEQ");
			s->has_modseq = true;
			break;
		}
		if (imap_dec_u32(dec, &a[i], "SEARCH result", true, &numbers[s->n_numbers]) < 0)
			return -1;
		s->n_numbers++;
	}
	s->numbers = numbers;
	return 0;
}

/* (TAG "t5") */
static int
esearch_correlator(struct imap_decoder *dec, const struct imap_arg *arg, struct imap_esearch *es)
{
	if (arg->n_children != 2 || !imap_arg_atom_is(&arg->children[0], "TAG"))
		return dec_fail(dec, "correlator");
	return imap_dec_string(dec, &arg->children[1], "tag", &es->tag);
}

/* One end of a PARTIAL range: 1..2^32-1 or its negative (RFC 9394). */
static int
partial_end(const char *s, size_t len, int64_t *value_r)
{
	bool neg = len > 0 && s[0] == '-';
	uint64_t v = 0;

	if (neg) {
		s++;
		len--;
	}
	if (len == 0 || len > 10 || s[0] == '0')
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!g_ascii_isdigit(s[i]))
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*value_r = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/* PARTIAL (-1:-50 NIL) or (1:50 7,3,9:11): the range, then the numbers
 * in it (in ESORT's order) or NIL. */
static int
esearch_partial(struct imap_decoder *dec, const struct imap_arg *val, struct imap_esearch *es)
{
	const struct imap_arg *range, *set;
	const char *colon;

	if (val->type != IMAP_ARG_LIST || val->n_children != 2)
		return dec_fail(dec, "PARTIAL");
	range = &val->children[0];
	set = &val->children[1];
	if (range->type != IMAP_ARG_ATOM || (colon = memchr(range->data, ':', range->len)) == NULL ||
	    partial_end(range->data, (size_t)(colon - range->data), &es->partial_first) < 0 ||
	    partial_end(colon + 1, range->len - (size_t)(colon + 1 - range->data),
			&es->partial_last) < 0 ||
	    (es->partial_first < 0) != (es->partial_last < 0))
		return dec_fail(dec, "PARTIAL range");
	if (set->type == IMAP_ARG_NIL) {
		es->partial = NULL;
		return 0;
	}
	return dec_seqset_arg(dec, set, false, &es->partial);
}

static int
esearch_item(struct imap_decoder *dec, const struct imap_arg *name, const struct imap_arg *val,
	     struct imap_esearch *es)
{
	if (name->type != IMAP_ARG_ATOM)
		return dec_fail(dec, "return item");
	if (imap_arg_atom_is(name, "MIN")) {
		es->present |= IMAP_ESEARCH_MIN;
		return imap_dec_u32(dec, val, "MIN", true, &es->min);
	}
	if (imap_arg_atom_is(name, "MAX")) {
		es->present |= IMAP_ESEARCH_MAX;
		return imap_dec_u32(dec, val, "MAX", true, &es->max);
	}
	if (imap_arg_atom_is(name, "COUNT")) {
		es->present |= IMAP_ESEARCH_COUNT;
		return imap_dec_u32(dec, val, "COUNT", false, &es->count);
	}
	if (imap_arg_atom_is(name, "MODSEQ")) {
		es->present |= IMAP_ESEARCH_MODSEQ;
		return imap_dec_u64(dec, val, "MODSEQ", &es->modseq);
	}
	if (imap_arg_atom_is(name, "ALL")) {
		es->present |= IMAP_ESEARCH_ALL;
		return dec_seqset_arg(dec, val, false, &es->all);
	}
	if (imap_arg_atom_is(name, "PARTIAL")) {
		es->present |= IMAP_ESEARCH_PARTIAL;
		return esearch_partial(dec, val, es);
	}
	return 0; /* unknown return data: skipped */
}

static int
decode_esearch(struct imap_decoder *dec, const struct imap_arg *a, size_t n)
{
	struct imap_esearch *es = &dec->resp->u.esearch;
	size_t i = 0;

	if (i < n && a[i].type == IMAP_ARG_LIST) {
		if (esearch_correlator(dec, &a[i], es) < 0)
			return -1;
		i++;
	}
	if (i < n && imap_arg_atom_is(&a[i], "UID")) {
		es->uid = true;
		i++;
	}
	if ((n - i) % 2 != 0)
		return dec_fail(dec, "arguments");
	for (; i < n; i += 2) {
		if (esearch_item(dec, &a[i], &a[i + 1], es) < 0)
			return -1;
	}
	return 0;
}

static int
decode_vanished(struct imap_decoder *dec, const struct imap_arg *a, size_t n)
{
	struct imap_vanished *v = &dec->resp->u.vanished;
	size_t i = 0;

	if (n == 2) {
		if (a[0].type != IMAP_ARG_LIST || a[0].n_children != 1 ||
		    !imap_arg_atom_is(&a[0].children[0], "EARLIER"))
			return dec_fail(dec, "arguments");
		v->earlier = true;
		i = 1;
	} else if (n != 1) {
		return dec_fail(dec, "arguments");
	}
	return dec_seqset_arg(dec, &a[i], false, &v->uids);
}

/* ======================================================================== */
/* THREAD                                                                   */
/* ======================================================================== */

/* One thread-list: numbers, then nested thread-lists (RFC 5256), appended
 * in pre-order. Recursion is bounded by IMAP_THREAD_MAX_DEPTH (and the
 * parser's own depth cap); the numbers by the parser's argument cap. */
static int
thread_list(struct imap_decoder *dec, const struct imap_arg *list, unsigned depth,
	    GArray *numbers)
{
	bool nested = false;

	if (depth > IMAP_THREAD_MAX_DEPTH)
		return dec_fail(dec, "thread nesting");
	if (list->type != IMAP_ARG_LIST || list->n_children == 0)
		return dec_fail(dec, "thread");
	for (size_t i = 0; i < list->n_children; i++) {
		const struct imap_arg *a = &list->children[i];
		uint32_t n;

		if (a->type == IMAP_ARG_LIST) {
			nested = true;
			if (thread_list(dec, a, depth + 1, numbers) < 0)
				return -1;
			continue;
		}
		if (nested) /* a number after a branch */
			return dec_fail(dec, "thread");
		if (imap_dec_u32(dec, a, "THREAD member", true, &n) < 0)
			return -1;
		g_array_append_val(numbers, n);
	}
	return 0;
}

static int
decode_thread(struct imap_decoder *dec, const struct imap_arg *a, size_t n)
{
	struct imap_thread *th = &dec->resp->u.thread;
	GArray *numbers = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	uint32_t *starts = imap_resp_alloc(dec->resp, (n + 1) * sizeof(*starts));
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0; i++) {
		starts[i] = numbers->len;
		ret = thread_list(dec, &a[i], 1, numbers);
	}
	if (ret == 0) {
		uint32_t *copy = imap_resp_alloc(dec->resp, (numbers->len + 1) * sizeof(*copy));

		if (numbers->len > 0)
			memcpy(copy, numbers->data, numbers->len * sizeof(*copy));
		th->numbers = copy;
		th->n_numbers = numbers->len;
		th->starts = starts;
		th->n_threads = n;
	}
	g_array_unref(numbers);
	return ret;
}

/* ======================================================================== */
/* NAMESPACE                                                                */
/* ======================================================================== */

static int
namespace_list(struct imap_decoder *dec, const struct imap_arg *arg,
	       const struct imap_namespace_entry **entries_r, size_t *n_r)
{
	struct imap_namespace_entry *entries;

	*entries_r = NULL;
	*n_r = 0;
	if (arg->type == IMAP_ARG_NIL)
		return 0;
	if (arg->type != IMAP_ARG_LIST)
		return dec_fail(dec, "namespace");
	entries = imap_resp_alloc(dec->resp, arg->n_children * sizeof(*entries));
	for (size_t i = 0; i < arg->n_children; i++) {
		const struct imap_arg *e = &arg->children[i];

		if (e->type != IMAP_ARG_LIST || e->n_children < 2 ||
		    imap_dec_string(dec, &e->children[0], "namespace prefix", &entries[i].prefix) < 0)
			return dec_fail(dec, "namespace");
		if (imap_arg_is_string(&e->children[1]) && e->children[1].len == 1)
			entries[i].delimiter = e->children[1].data[0];
		else if (e->children[1].type != IMAP_ARG_NIL)
			return dec_fail(dec, "namespace delimiter");
	}
	*entries_r = entries;
	*n_r = arg->n_children;
	return 0;
}

static int
decode_namespace(struct imap_decoder *dec, const struct imap_arg *a, size_t n)
{
	struct imap_namespace *ns = &dec->resp->u.namespace_;

	if (n != 3)
		return dec_fail(dec, "arguments");
	if (namespace_list(dec, &a[0], &ns->personal, &ns->n_personal) < 0 ||
	    namespace_list(dec, &a[1], &ns->other, &ns->n_other) < 0)
		return -1;
	return namespace_list(dec, &a[2], &ns->shared, &ns->n_shared);
}

/* ======================================================================== */
/* Simple ones                                                              */
/* ======================================================================== */

static int
decode_atoms(struct imap_decoder *dec, const struct imap_arg *a, size_t n)
{
	return imap_dec_strv(dec, a, n, true, dec->resp->name, &dec->resp->u.strv);
}

static int
decode_flags(struct imap_decoder *dec, const struct imap_arg *a, size_t n)
{
	if (n != 1 || a[0].type != IMAP_ARG_LIST)
		return dec_fail(dec, "arguments");
	return imap_dec_strv(dec, a[0].children, a[0].n_children, true, "flag",
			     &dec->resp->u.strv);
}

/* ======================================================================== */
/* Dispatch                                                                 */
/* ======================================================================== */

typedef int decode_fn(struct imap_decoder *dec, const struct imap_arg *args, size_t n);

static int
decode_numbered(struct imap_decoder *dec, uint32_t number, const struct imap_arg *a, size_t n)
{
	struct imap_response *resp = dec->resp;

	if (strcmp(resp->name, "EXISTS") == 0 || strcmp(resp->name, "RECENT") == 0 ||
	    strcmp(resp->name, "EXPUNGE") == 0) {
		if (n != 0)
			return dec_fail(dec, "arguments");
		if (strcmp(resp->name, "EXISTS") == 0)
			resp->type = IMAP_DATA_EXISTS;
		else if (strcmp(resp->name, "RECENT") == 0)
			resp->type = IMAP_DATA_RECENT;
		else
			resp->type = IMAP_DATA_EXPUNGE;
		if (resp->type == IMAP_DATA_EXPUNGE && number == 0)
			return dec_fail(dec, "sequence number");
		resp->u.number = number;
		return 0;
	}
	if (strcmp(resp->name, "FETCH") == 0) {
		if (number == 0)
			return dec_fail(dec, "sequence number");
		if (n != 1 || a[0].type != IMAP_ARG_LIST)
			return dec_fail(dec, "arguments");
		resp->type = IMAP_DATA_FETCH;
		resp->u.fetch.seq = number;
		return imap_decode_fetch(dec, &a[0], &resp->u.fetch);
	}
	return 0;
}

static const struct {
	const char *name;
	enum imap_data_type type;
	decode_fn *fn;
} handlers[] = {
	{"CAPABILITY", IMAP_DATA_CAPABILITY, decode_atoms},
	{"ENABLED", IMAP_DATA_ENABLED, decode_atoms},
	{"FLAGS", IMAP_DATA_FLAGS, decode_flags},
	{"LIST", IMAP_DATA_LIST, decode_list},
	{"LSUB", IMAP_DATA_LIST, decode_list},
	{"STATUS", IMAP_DATA_MAILBOX_STATUS, decode_status},
	{"SEARCH", IMAP_DATA_SEARCH, decode_search},
	{"ESEARCH", IMAP_DATA_ESEARCH, decode_esearch},
	{"VANISHED", IMAP_DATA_VANISHED, decode_vanished},
	{"NAMESPACE", IMAP_DATA_NAMESPACE, decode_namespace},
	{"THREAD", IMAP_DATA_THREAD, decode_thread},
};

/* The name upper-cased in the response's own memory (once an allocation
 * and a free a response). */
static int
set_name(struct imap_response *resp, const struct imap_arg *arg)
{
	char *up = imap_resp_alloc(resp, arg->len + 1);

	for (size_t i = 0; i < arg->len; i++)
		up[i] = g_ascii_toupper(arg->data[i]);
	resp->name = up;
	return 0;
}

static int
decode_untagged(struct imap_decoder *dec)
{
	struct imap_response *resp = dec->resp;
	const struct imap_arg *a = resp->args;
	size_t n = resp->n_args;
	uint32_t number;

	resp->type = IMAP_DATA_UNKNOWN;
	if (a[0].type != IMAP_ARG_ATOM)
		return imap_fail(dec->error, IMAP_ERROR_PROTOCOL,
				 _("IMAP protocol error: untagged response without a name"));
	if (g_ascii_isdigit(a[0].data[0])) {
		if (n < 2 || a[1].type != IMAP_ARG_ATOM)
			return imap_fail(dec->error, IMAP_ERROR_PROTOCOL,
					 _("IMAP protocol error: untagged response without a name"));
		set_name(resp, &a[1]);
		if (imap_dec_u32(dec, &a[0], resp->name, false, &number) < 0)
			return -1;
		return decode_numbered(dec, number, a + 2, n - 2);
	}
	set_name(resp, &a[0]);
	for (size_t i = 0; i < TERN_ARRAY_LEN(handlers); i++) {
		if (strcmp(resp->name, handlers[i].name) == 0) {
			resp->type = handlers[i].type;
			return handlers[i].fn(dec, a + 1, n - 1);
		}
	}
	return 0;
}

int
imap_decode_response(struct imap_decoder *dec)
{
	struct imap_response *resp = dec->resp;

	if (resp->kind == IMAP_RESPONSE_CONTINUATION)
		return imap_decode_resp_code(dec, resp->u.cont.code.name, resp->u.cont.code.args,
					     &resp->u.cont.code);
	if (resp->n_args == 0) /* tagged or untagged status */
		return imap_decode_resp_code(dec, resp->u.status.code.name,
					     resp->u.status.code.args, &resp->u.status.code);
	return decode_untagged(dec);
}
