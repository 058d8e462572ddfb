# core/ fragments: each module owns its local.mk
include core/text/local.mk
include core/imap/local.mk
include core/imap/client.mk
include core/net/local.mk
include core/config/local.mk
include core/model/local.mk
include core/store/local.mk
include core/smtp/local.mk
