# core/imap
