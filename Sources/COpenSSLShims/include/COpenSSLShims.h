// The C edge for OpenSSL (Debian's libssl3): one-line wrappers for what Swift cannot import because OpenSSL
// defines it as a macro (SSL_CTX_set_* over SSL_CTX_ctrl, SSL_OP_* bit constants). No logic in C.
#ifndef COPENSSLSHIMS_H
#define COPENSSLSHIMS_H

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static inline int cos_ctx_set_min_proto_version(SSL_CTX *ctx, int version) { return (int)SSL_CTX_set_min_proto_version(ctx, version); }
static inline int cos_ctx_set_max_proto_version(SSL_CTX *ctx, int version) { return (int)SSL_CTX_set_max_proto_version(ctx, version); }
static inline long cos_ctx_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline void cos_ctx_set_read_ahead(SSL_CTX *ctx, int yes) { SSL_CTX_set_read_ahead(ctx, yes); }
static inline long cos_ctx_set_session_cache_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_session_cache_mode(ctx, mode); }
static inline long cos_ctx_sess_set_cache_size(SSL_CTX *ctx, long size) { return SSL_CTX_sess_set_cache_size(ctx, size); }
static inline int cos_ctx_set1_groups_list(SSL_CTX *ctx, const char *list) { return (int)SSL_CTX_set1_groups_list(ctx, list); }

static inline int cos_tls1_2_version(void) { return TLS1_2_VERSION; }
static inline int cos_tls1_3_version(void) { return TLS1_3_VERSION; }

static inline uint64_t cos_op_no_renegotiation(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t cos_op_no_ticket(void) { return SSL_OP_NO_TICKET; }
static inline uint64_t cos_op_no_compression(void) { return SSL_OP_NO_COMPRESSION; }
static inline uint64_t cos_op_ignore_unexpected_eof(void) { return SSL_OP_IGNORE_UNEXPECTED_EOF; }
static inline uint64_t cos_op_cipher_server_preference(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }

static inline long cos_mode_partial_write_moving_buffer_release(void) {
    return SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS;
}
static inline long cos_sess_cache_server(void) { return SSL_SESS_CACHE_SERVER; }

static inline int cos_verify_none(void) { return SSL_VERIFY_NONE; }
static inline int cos_verify_peer(void) { return SSL_VERIFY_PEER; }
static inline int cos_verify_fail_if_no_peer_cert(void) { return SSL_VERIFY_FAIL_IF_NO_PEER_CERT; }
static inline unsigned long cos_v_flag_partial_chain(void) { return X509_V_FLAG_PARTIAL_CHAIN; }

static inline int cos_error_want_read(void) { return SSL_ERROR_WANT_READ; }
static inline int cos_error_want_write(void) { return SSL_ERROR_WANT_WRITE; }
static inline int cos_error_zero_return(void) { return SSL_ERROR_ZERO_RETURN; }
static inline int cos_error_syscall(void) { return SSL_ERROR_SYSCALL; }
static inline int cos_tlsext_err_ok(void) { return SSL_TLSEXT_ERR_OK; }
static inline int cos_tlsext_err_alert_fatal(void) { return SSL_TLSEXT_ERR_ALERT_FATAL; }
static inline int cos_npn_negotiated(void) { return OPENSSL_NPN_NEGOTIATED; }
static inline int cos_sent_and_received_shutdown(void) { return SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN; }
static inline int cos_x509_v_ok(void) { return X509_V_OK; }
static inline int cos_xn_flag_rfc2253(void) { return (int)XN_FLAG_RFC2253; }

// SNI: the server-name callback and its argument are set through SSL_CTX_callback_ctrl/SSL_CTX_ctrl macros.
typedef int (*cos_servername_callback)(SSL *ssl, int *alert, void *argument);
static inline void cos_ctx_set_servername_callback(SSL_CTX *ctx, cos_servername_callback callback, void *argument) {
    SSL_CTX_set_tlsext_servername_callback(ctx, callback);
    SSL_CTX_set_tlsext_servername_arg(ctx, argument);
}
static inline int cos_ssl_set1_verify_cert_store(SSL *ssl, X509_STORE *store) { return (int)SSL_set1_verify_cert_store(ssl, store); }
static inline int cos_tlsext_nametype_host_name(void) { return TLSEXT_NAMETYPE_host_name; }
static inline int cos_ad_unrecognized_name(void) { return SSL_AD_UNRECOGNIZED_NAME; }

// subjectAltName entries: the stack accessors are macros, and a GENERAL_NAME is a tagged union.
static inline int cos_general_names_count(const GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }
static inline const ASN1_IA5STRING *cos_general_names_dns(const GENERAL_NAMES *names, int index) {
    const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, index);
    return name->type == GEN_DNS ? name->d.dNSName : NULL;
}

// The ACME client: EVP_EC_gen is a macro over a variadic function; the extension stack's accessors are macros;
// SNI on a client session is a macro over SSL_ctrl.
static inline EVP_PKEY *cos_ec_p256_generate(void) { return EVP_EC_gen("P-256"); }
static inline STACK_OF(X509_EXTENSION) *cos_extensions_new(void) { return sk_X509_EXTENSION_new_null(); }
static inline int cos_extensions_push(STACK_OF(X509_EXTENSION) *stack, X509_EXTENSION *extension) { return sk_X509_EXTENSION_push(stack, extension); }
static inline void cos_extensions_free(STACK_OF(X509_EXTENSION) *stack) { sk_X509_EXTENSION_pop_free(stack, X509_EXTENSION_free); }
static inline long cos_ssl_set_tlsext_host_name(SSL *ssl, const char *name) { return SSL_set_tlsext_host_name(ssl, name); }
static inline int cos_error_ssl(void) { return SSL_ERROR_SSL; }

// OPENSSL_INIT_NO_ATEXIT is a macro constant.
static inline int cos_init_without_atexit(void) { return OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL); }

// BIO_get_mem_data is a macro over BIO_ctrl.
static inline long cos_bio_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

#endif
