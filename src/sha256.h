/* sha256.h - SHA-256 for spec hashes and native binaries' fingerprints. */
#ifndef TBX_SHA256_H
#define TBX_SHA256_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char block[64];
	size_t fill;
};
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
/* 64 lowercase hex digits and a NUL. */
void sha256_hex(struct sha256 *s, char out[65]);
/* Hash a whole file. */
int sha256_file(const char *path, char out[65], struct err *e);

#endif
