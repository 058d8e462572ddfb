# core/smtp: submitting a message (SMTP through libcurl, or sendmail_command).
libcore_a_SOURCES += core/smtp/smtp.h core/smtp/smtp.c core/smtp/sendmail.c core/smtp/queue.c
# SMTP security for real (aiosmtpd with STARTTLS/implicit TLS and AUTH) and
# hostile scripted SMTP servers.
TESTS += tests/integration/test-smtp-security.py
EXTRA_DIST += tests/integration/test-smtp-security.py
