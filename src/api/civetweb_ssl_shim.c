/* civetweb 1.15 as built by Debian 12 loads OpenSSL at run time with dlopen("libssl.so") and
 * looks up the OpenSSL 1.1 name SSL_get_peer_certificate, which OpenSSL 3 only has as a macro: the
 * lookup yields NULL and the first HTTPS request crashes. This library is built as libssl.so
 * (soname libssl.so, in a folder of its own on vsp's run path) and linked into vsp, so civetweb's
 * dlopen("libssl.so") finds it already loaded; dlsym then finds the missing name here and every
 * other name in its dependency, the real libssl.so.3. */
#include <openssl/ssl.h>

#undef SSL_get_peer_certificate
X509* SSL_get_peer_certificate(const SSL* s);
X509* SSL_get_peer_certificate(const SSL* s) { return SSL_get1_peer_certificate(s); }

/* Called by the HTTP server so the linker keeps this library (it is otherwise unreferenced). */
int vsp_civetweb_ssl_shim_loaded(void);
int vsp_civetweb_ssl_shim_loaded(void) { return 1; }
