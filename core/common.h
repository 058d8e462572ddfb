/* tern — shared basics for every layer: gettext, exit codes, small helpers.
 * Include this first in every .c file (after config.h). */
#ifndef TERN_COMMON_H
#define TERN_COMMON_H

#include <glib.h>
#include <glib/gi18n.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes (sysexits.h values, DESIGN.md "Command line"). */
enum tern_exit {
	TERN_EXIT_OK = 0,
	TERN_EXIT_FAILURE = 1,  /* the server said NO to an action, anything else */
	TERN_EXIT_USAGE = 64,   /* bad arguments, bad query, bad UID set */
	TERN_EXIT_UNAVAILABLE = 69, /* server unreachable, folder/message not found */
	TERN_EXIT_IOERR = 74,   /* connection lost, timeout */
	TERN_EXIT_PROTOCOL = 76, /* unparsable server data or a violated bound */
	TERN_EXIT_NOPERM = 77,  /* auth refused, TLS untrusted or impossible */
	TERN_EXIT_CONFIG = 78,  /* missing or invalid configuration */
};

/* Status of an asynchronous operation (STYLE.md). */
enum tern_status {
	TERN_OK = 0,
	TERN_ERR_MSG,        /* this message is bad / not found */
	TERN_ERR_FOLDER,     /* this folder is bad / not found */
	TERN_ERR_NO,         /* the server refused (NO) */
	TERN_ERR_CONN,       /* connection lost, timeout, I/O */
	TERN_ERR_PROTOCOL,   /* server violated the protocol or a bound */
	TERN_ERR_AUTH,       /* authentication or TLS trust refused */
	TERN_ERR_CONFIG,     /* configuration error */
	TERN_ERR_USAGE,      /* caller error: bad arguments */
	TERN_ERR_CANCELLED,
	TERN_ERR_UNREACHABLE, /* cannot connect to the server at all */
};

/* Map an operation status to the process exit code. */
int tern_status_exit_code(enum tern_status status);
/* The server answered (whatever it said), as opposed to a connection that
 * failed, or a reply that could not be read, before the answer. */
bool tern_status_answered(enum tern_status status);

#define TERN_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A library opened on first use instead of at every start (libcurl and its
 * twenty dependencies cost each tern process about 5 ms before main()):
 * where one of api's function pointers is, by the symbol's name. */
struct tern_lib_symbol {
	const char *name;
	size_t offset; /* offsetof() the pointer in api */
};
/* Opens soname for the rest of the process and fills api's pointers; -1
 * with *error_r (translated, to be freed) when the library or one of the
 * symbols is missing. The caller calls it once (g_once()). */
int tern_lib_load(const char *soname, const struct tern_lib_symbol *syms, size_t n, void *api,
		  char **error_r);

#endif
