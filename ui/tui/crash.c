/* tern — ui/tui/crash: a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGABRT) while the screen is up gives the terminal back before the
 * process dies: the shell's terminal modes, the main screen, a visible
 * cursor. The handler does only async-signal-safe work (write, tcsetattr,
 * sigaction, raise): everything it writes is prepared by crash_guard_arm()
 * while ncurses is still usable.
 *
 * After restoring the terminal it puts back the handler that was there
 * before (SIG_DFL, or a sanitizer's) and lets the signal take its course:
 * a fault re-executes the faulting instruction, a sent signal is raised
 * again. */
#include "config.h"
#include "core/common.h"

#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ui/tui/tui-private.h"

#include <term.h>

#define CRASH_SEQ_MAX 256

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };

static struct {
	volatile sig_atomic_t armed;
	struct termios shell_modes;
	bool have_modes;
	char seq[CRASH_SEQ_MAX]; /* leave keypad, attributes off, cursor on, main screen, no paste marks */
	size_t seq_len;
	struct sigaction old[TERN_ARRAY_LEN(crash_signals)];
} guard;

static void
seq_add_raw(const char *s)
{
	size_t n = strlen(s);

	if (guard.seq_len + n >= sizeof(guard.seq))
		return;
	memcpy(guard.seq + guard.seq_len, s, n);
	guard.seq_len += n;
}

static void
seq_add(const char *capname)
{
	const char *s = tigetstr(capname);

	if (s != NULL && s != (const char *)-1)
		seq_add_raw(s);
}

static void
crash_handler(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	if (guard.armed) {
		ssize_t unused;

		guard.armed = 0;
		unused = write(STDOUT_FILENO, guard.seq, guard.seq_len);
		(void)unused;
		if (guard.have_modes)
			tcsetattr(STDIN_FILENO, TCSANOW, &guard.shell_modes);
	}
	for (size_t i = 0; i < TERN_ARRAY_LEN(crash_signals); i++)
		if (crash_signals[i] == sig)
			sigaction(sig, &guard.old[i], NULL);
	/* Sent by kill() or raise() (or abort()): raise it again for the old
	 * handler. A fault happens again when we return, with its context. */
	if (info == NULL || info->si_code <= 0 || sig == SIGABRT)
		raise(sig);
}

void
crash_guard_save_modes(void)
{
	guard.have_modes = tcgetattr(STDIN_FILENO, &guard.shell_modes) == 0;
}

void
crash_guard_arm(void)
{
	struct sigaction sa = { 0 };

	guard.seq_len = 0;
	seq_add("rmkx");
	seq_add("sgr0");
	seq_add("cnorm");
	seq_add("rmcup");
	seq_add_raw("\033[?2004l"); /* bracketed paste off (term.c turned it on) */
	sa.sa_sigaction = crash_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < TERN_ARRAY_LEN(crash_signals); i++)
		sigaction(crash_signals[i], &sa, &guard.old[i]);
	guard.armed = 1;
}

void
crash_guard_disarm(void)
{
	if (!guard.armed)
		return;
	guard.armed = 0;
	for (size_t i = 0; i < TERN_ARRAY_LEN(crash_signals); i++)
		sigaction(crash_signals[i], &guard.old[i], NULL);
}
