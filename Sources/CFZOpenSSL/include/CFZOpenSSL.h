#ifndef CFZOPENSSL_H
#define CFZOPENSSL_H

/*
 * C helpers for the `openssl` crypto backend: libcrypto's EVP ChaCha20-Poly1305 in the form WireGuard
 * transport data uses. One call per packet, so Swift never sees an EVP object; openssl/evp.h is only
 * included by CFZOpenSSL.c.
 */

#ifdef __linux__

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// NULL when libcrypto runs ChaCha20-Poly1305 correctly here (fetched once and checked against the RFC 8439
/// section 2.8.2 tag), otherwise a static sentence saying why not. Computed once, thread-safely.
const char *cfz_openssl_unavailable_reason(void);

/// libcrypto's version as it reports itself at run time, e.g. "3.0.19".
const char *cfz_openssl_version(void);

/// One ChaCha20-Poly1305 key with an EVP_CIPHER_CTX per direction, each keyed once and guarded by its own
/// mutex (the contexts are mutable state; the lock is uncontended when one thread uses the key).
typedef struct cfz_openssl_aead cfz_openssl_aead;

/// Creates both contexts and installs `key` (32 bytes) in each. NULL if libcrypto refuses (out of memory,
/// or ChaCha20-Poly1305 unavailable: see `cfz_openssl_unavailable_reason`).
cfz_openssl_aead *cfz_openssl_aead_create(const uint8_t *key);

/// Frees both contexts (their key material is cleansed by libcrypto) and the mutexes.
void cfz_openssl_aead_destroy(cfz_openssl_aead *aead);

/// Encrypts `count` bytes at `data` in place with the nonce 4 zero bytes || `counter` little-endian, and writes
/// the 16-byte tag to `tag`. `data` may be NULL when `count` is 0, `ad` when `ad_count` is 0.
/// Returns 0, or -1 if libcrypto failed; then `data` and `tag` are zeroed, so no plaintext leaves.
int cfz_openssl_aead_seal(cfz_openssl_aead *aead, uint64_t counter, uint8_t *data, size_t count,
                          const uint8_t *ad, size_t ad_count, uint8_t *tag);

/// Verifies `tag` and decrypts `count` bytes at `data` in place (same nonce as seal).
/// Returns 0 when the tag matched; 1 when it did not, with `data` holding the ciphertext again (libcrypto
/// decrypts before it checks the tag, so the keystream is applied a second time); -1 if libcrypto failed,
/// with `data` zeroed.
int cfz_openssl_aead_open(cfz_openssl_aead *aead, uint64_t counter, uint8_t *data, size_t count,
                          const uint8_t *ad, size_t ad_count, const uint8_t *tag);

#ifdef __cplusplus
}
#endif

#endif /* __linux__ */

#endif /* CFZOPENSSL_H */
