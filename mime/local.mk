# mime/ (owned by the mime module)
libmime_a_SOURCES += mime/mime.h mime/mime.c
