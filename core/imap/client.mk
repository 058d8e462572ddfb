# core/imap session and client (owned by the lead)
libcore_a_SOURCES += core/log.h core/log.c \
	core/imap/session.h core/imap/session.c \
	core/imap/client.h core/imap/client.c core/imap/maildate.c core/imap/maildate.h
