# core/smtp: submitting a message (SMTP through libcurl, or sendmail_command).
libcore_a_SOURCES += core/smtp/smtp.h core/smtp/smtp.c core/smtp/sendmail.c core/smtp/queue.c
