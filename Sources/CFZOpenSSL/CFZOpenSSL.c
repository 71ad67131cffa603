#ifdef __linux__

#include "CFZOpenSSL.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#include <openssl/params.h>
#endif

enum { KEY_BYTES = 32, NONCE_BYTES = 12, TAG_BYTES = 16 };

/* One direction of a key: its EVP context, keyed once, and the lock that serializes its users. */
struct cfz_openssl_direction {
    pthread_mutex_t lock;
    EVP_CIPHER_CTX *context;
};

struct cfz_openssl_aead {
    struct cfz_openssl_direction seal;
    struct cfz_openssl_direction open;
};

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
/* Set once by probe(); the fetched cipher is kept for the life of the process. */
static const EVP_CIPHER *chacha20_poly1305;
static const char *unavailable_reason;
/* Set once by probe(): whether this CPU has AVX, so VZEROUPPER exists (see clear_upper_state). */
static int cpu_has_avx;

/* libcrypto 3.0's ChaCha20-Poly1305 returns with the upper halves of the vector registers still in use (its
 * AVX-512 code does not end with VZEROUPPER on every path). Until something clears them, every legacy-SSE
 * instruction after it, in libcrypto's own parameter code and in memcpy, pays a state-transition penalty:
 * measured here, about 300 ns of a 64-byte seal and 250 ns of a 1420-byte one. Clearing them right after each
 * call into the cipher costs a cycle. */
static inline void clear_upper_state(void) {
#if defined(__x86_64__)
    if (cpu_has_avx) __asm__ volatile("vzeroupper" ::: "memory");
#endif
}

/* WireGuard's nonce: 4 zero bytes, then the counter little-endian. */
static void transport_nonce(uint8_t nonce[NONCE_BYTES], uint64_t counter) {
    memset(nonce, 0, 4);
    for (int i = 0; i < 8; i++) nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

/* Reads or writes the AEAD tag. On OpenSSL 3 straight through the context's parameters: the ctrl
 * compatibility layer builds the same parameter array after a switch, a measurable share of a short message. */
static int get_tag(EVP_CIPHER_CTX *context, uint8_t *tag) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    OSSL_PARAM params[2] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, TAG_BYTES),
                            OSSL_PARAM_construct_end()};
    return EVP_CIPHER_CTX_get_params(context, params) == 1 ? 0 : -1;
#else
    return EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, tag) == 1 ? 0 : -1;
#endif
}

static int set_tag(EVP_CIPHER_CTX *context, const uint8_t *tag) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    OSSL_PARAM params[2] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, (void *)tag, TAG_BYTES),
                            OSSL_PARAM_construct_end()};
    return EVP_CIPHER_CTX_set_params(context, params) == 1 ? 0 : -1;
#else
    return EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, (void *)tag) == 1 ? 0 : -1;
#endif
}

/* The context already holds the key: each message only sets the nonce, which also resets Poly1305. The data
 * and the tag go through EVP_Cipher, the one-call entry for ciphers with their own framing (an AEAD): input
 * is authenticated and encrypted, a NULL input finishes the tag. EVP_EncryptUpdate/Final would add their
 * block bookkeeping, which a stream cipher does not need. */
static int seal_with(EVP_CIPHER_CTX *context, const uint8_t *nonce, uint8_t *data, size_t count,
                     const uint8_t *ad, size_t ad_count, uint8_t *tag) {
    if (count > INT_MAX || ad_count > INT_MAX) return -1;
    if (EVP_EncryptInit_ex(context, NULL, NULL, NULL, nonce) != 1) return -1;
    if (ad_count > 0 && EVP_Cipher(context, NULL, ad, (unsigned int)ad_count) < 0) return -1;
    if (count > 0 && EVP_Cipher(context, data, data, (unsigned int)count) < 0) return -1;
    int finished = EVP_Cipher(context, NULL, NULL, 0);
    clear_upper_state();
    if (finished < 0) return -1;
    return get_tag(context, tag);
}

static int open_with(EVP_CIPHER_CTX *context, const uint8_t *nonce, uint8_t *data, size_t count,
                     const uint8_t *ad, size_t ad_count, const uint8_t *tag) {
    if (count > INT_MAX || ad_count > INT_MAX) return -1;
    if (EVP_DecryptInit_ex(context, NULL, NULL, NULL, nonce) != 1) return -1;
    if (set_tag(context, tag) != 0) return -1;
    if (ad_count > 0 && EVP_Cipher(context, NULL, ad, (unsigned int)ad_count) < 0) return -1;
    if (count > 0 && EVP_Cipher(context, data, data, (unsigned int)count) < 0) return -1;
    int verified = EVP_Cipher(context, NULL, NULL, 0);
    clear_upper_state();
    if (verified >= 0) return 0;
    /* libcrypto decrypted before it compared tags: XOR the same keystream back to restore the ciphertext. */
    if (count > 0) {
        if (EVP_DecryptInit_ex(context, NULL, NULL, NULL, nonce) != 1) return -1;
        int restored = EVP_Cipher(context, data, data, (unsigned int)count);
        clear_upper_state();
        if (restored < 0) return -1;
    }
    return 1;
}

static EVP_CIPHER_CTX *keyed_context(const uint8_t *key, int encrypt) {
    EVP_CIPHER_CTX *context = EVP_CIPHER_CTX_new();
    if (context == NULL) return NULL;
    if (EVP_CipherInit_ex(context, chacha20_poly1305, NULL, key, NULL, encrypt) != 1) {
        EVP_CIPHER_CTX_free(context);
        return NULL;
    }
    return context;
}

/* RFC 8439 section 2.8.2: seal must give the published tag, open must accept it and refuse a flipped one. */
static int self_test(void) {
    static const char plaintext[] = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip "
                                    "for the future, sunscreen would be it.";
    static const uint8_t nonce[NONCE_BYTES] = {0x07, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47};
    static const uint8_t ad[] = {0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7};
    static const uint8_t expected_tag[TAG_BYTES] = {0x1a, 0xe1, 0x0b, 0x59, 0x4f, 0x09, 0xe2, 0x6a,
                                                    0x7e, 0x90, 0x2e, 0xcb, 0xd0, 0x60, 0x06, 0x91};
    uint8_t key[KEY_BYTES];
    for (int i = 0; i < KEY_BYTES; i++) key[i] = (uint8_t)(0x80 + i);
    enum { COUNT = sizeof plaintext - 1 };
    uint8_t data[COUNT], ciphertext[COUNT], tag[TAG_BYTES];
    memcpy(data, plaintext, COUNT);
    EVP_CIPHER_CTX *sealer = keyed_context(key, 1);
    EVP_CIPHER_CTX *opener = keyed_context(key, 0);
    int ok = sealer != NULL && opener != NULL
        && seal_with(sealer, nonce, data, COUNT, ad, sizeof ad, tag) == 0
        && memcmp(tag, expected_tag, TAG_BYTES) == 0;
    if (ok) {
        memcpy(ciphertext, data, COUNT);
        tag[0] ^= 1;
        ok = open_with(opener, nonce, data, COUNT, ad, sizeof ad, tag) == 1
            && memcmp(data, ciphertext, COUNT) == 0;
        tag[0] ^= 1;
        ok = ok && open_with(opener, nonce, data, COUNT, ad, sizeof ad, tag) == 0
            && memcmp(data, plaintext, COUNT) == 0;
    }
    EVP_CIPHER_CTX_free(sealer);
    EVP_CIPHER_CTX_free(opener);
    return ok;
}

static void probe(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    cpu_has_avx = __builtin_cpu_supports("avx");
#endif
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    /* An explicit fetch, once: keyed contexts then skip the implicit fetch that EVP_chacha20_poly1305() costs. */
    chacha20_poly1305 = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
#else
    chacha20_poly1305 = EVP_chacha20_poly1305();
#endif
    if (chacha20_poly1305 == NULL) {
        unavailable_reason = "libcrypto offers no ChaCha20-Poly1305 (EVP_chacha20_poly1305 is missing or no "
                             "loaded provider has it, as under a FIPS-only configuration)";
    } else if (!self_test()) {
        unavailable_reason = "libcrypto's ChaCha20-Poly1305 failed the RFC 8439 section 2.8.2 self-test";
    }
    ERR_clear_error();
}

const char *cfz_openssl_unavailable_reason(void) {
    pthread_once(&probe_once, probe);
    return unavailable_reason;
}

const char *cfz_openssl_version(void) {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    return OpenSSL_version(OPENSSL_VERSION_STRING);
#else
    return OpenSSL_version(OPENSSL_VERSION);
#endif
}

cfz_openssl_aead *cfz_openssl_aead_create(const uint8_t *key) {
    if (cfz_openssl_unavailable_reason() != NULL) return NULL;
    cfz_openssl_aead *aead = calloc(1, sizeof *aead);
    if (aead == NULL) return NULL;
    pthread_mutex_init(&aead->seal.lock, NULL);
    pthread_mutex_init(&aead->open.lock, NULL);
    aead->seal.context = keyed_context(key, 1);
    aead->open.context = keyed_context(key, 0);
    if (aead->seal.context == NULL || aead->open.context == NULL) {
        cfz_openssl_aead_destroy(aead);
        ERR_clear_error();
        return NULL;
    }
    return aead;
}

void cfz_openssl_aead_destroy(cfz_openssl_aead *aead) {
    if (aead == NULL) return;
    EVP_CIPHER_CTX_free(aead->seal.context);
    EVP_CIPHER_CTX_free(aead->open.context);
    pthread_mutex_destroy(&aead->seal.lock);
    pthread_mutex_destroy(&aead->open.lock);
    free(aead);
}

int cfz_openssl_aead_seal(cfz_openssl_aead *aead, uint64_t counter, uint8_t *data, size_t count,
                          const uint8_t *ad, size_t ad_count, uint8_t *tag) {
    uint8_t nonce[NONCE_BYTES];
    transport_nonce(nonce, counter);
    pthread_mutex_lock(&aead->seal.lock);
    int result = seal_with(aead->seal.context, nonce, data, count, ad, ad_count, tag);
    pthread_mutex_unlock(&aead->seal.lock);
    if (result != 0) {
        if (count > 0) OPENSSL_cleanse(data, count);
        OPENSSL_cleanse(tag, TAG_BYTES);
        ERR_clear_error();
    }
    return result;
}

int cfz_openssl_aead_open(cfz_openssl_aead *aead, uint64_t counter, uint8_t *data, size_t count,
                          const uint8_t *ad, size_t ad_count, const uint8_t *tag) {
    uint8_t nonce[NONCE_BYTES];
    transport_nonce(nonce, counter);
    pthread_mutex_lock(&aead->open.lock);
    int result = open_with(aead->open.context, nonce, data, count, ad, ad_count, tag);
    pthread_mutex_unlock(&aead->open.lock);
    if (result < 0) {
        if (count > 0) OPENSSL_cleanse(data, count);
        ERR_clear_error();
    }
    return result;
}

#endif /* __linux__ */
