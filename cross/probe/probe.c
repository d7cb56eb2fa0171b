/*
 * Cross-compilation probe: links the three system libraries EdgeLedger's C module maps wrap
 * (libmosquitto, libcrypto, libsqlite3) plus the C++ runtime, and exercises each one under
 * emulation. Prints one line per library and "probe ok" when every check passed.
 */
#include <mosquitto.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* probe_cxx.cpp: proves libstdc++ and libgcc_s link and run (the Swift runtime needs both). */
extern int probe_cxx(char *out, size_t size);

static int failures = 0;

static void check(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "FAIL: %s\n", what);
        failures++;
    }
}

static void hex(const unsigned char *bytes, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = 0;
}

static int digest(const char *name, const char *input, char *out) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD *algorithm = EVP_MD_fetch(NULL, name, NULL);
    if (algorithm == NULL) return 0;
    int ok = EVP_Digest(input, strlen(input), md, &len, algorithm, NULL);
    EVP_MD_free(algorithm);
    if (ok) hex(md, len, out);
    return ok;
}

static int ed25519_roundtrip(void) {
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "ED25519", NULL);
    int ok = kctx && EVP_PKEY_keygen_init(kctx) == 1 && EVP_PKEY_keygen(kctx, &key) == 1;
    EVP_PKEY_CTX_free(kctx);
    unsigned char sig[64];
    size_t siglen = sizeof sig;
    const unsigned char msg[] = "edge-ledger checkpoint";
    EVP_MD_CTX *sctx = EVP_MD_CTX_new();
    ok = ok && EVP_DigestSignInit(sctx, NULL, NULL, NULL, key) == 1 &&
         EVP_DigestSign(sctx, sig, &siglen, msg, sizeof msg - 1) == 1;
    EVP_MD_CTX_free(sctx);
    EVP_MD_CTX *vctx = EVP_MD_CTX_new();
    ok = ok && EVP_DigestVerifyInit(vctx, NULL, NULL, NULL, key) == 1 &&
         EVP_DigestVerify(vctx, sig, siglen, msg, sizeof msg - 1) == 1;
    EVP_MD_CTX_free(vctx);
    EVP_PKEY_free(key);
    return ok;
}

static int sqlite_roundtrip(char *out, size_t size) {
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int ok = sqlite3_open(":memory:", &db) == SQLITE_OK &&
             sqlite3_exec(db, "CREATE TABLE t(x BLOB); INSERT INTO t VALUES (x'00ff'), (zeroblob(3));", 0, 0, 0) ==
                 SQLITE_OK &&
             sqlite3_prepare_v2(db, "SELECT count(*), sum(length(x)) FROM t", -1, &st, NULL) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 2 && sqlite3_column_int(st, 1) == 5;
    snprintf(out, size, "threadsafe=%d", sqlite3_threadsafe());
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

int main(void) {
    int major = 0, minor = 0, revision = 0;
    mosquitto_lib_version(&major, &minor, &revision);
    check(mosquitto_lib_init() == MOSQ_ERR_SUCCESS, "mosquitto_lib_init");
    struct mosquitto *client = mosquitto_new("edge-ledger-probe", false, NULL);
    check(client != NULL, "mosquitto_new (persistent session)");
    check(mosquitto_int_option(client, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5) == MOSQ_ERR_SUCCESS,
          "mosquitto MQTT 5 option");
    mosquitto_destroy(client);
    mosquitto_lib_cleanup();
    printf("mosquitto %d.%d.%d (header %d.%d.%d)\n", major, minor, revision, LIBMOSQUITTO_MAJOR, LIBMOSQUITTO_MINOR,
           LIBMOSQUITTO_REVISION);
    check(major == LIBMOSQUITTO_MAJOR, "libmosquitto major version matches its header");

    char sha256[2 * EVP_MAX_MD_SIZE + 1] = "", sm3[2 * EVP_MAX_MD_SIZE + 1] = "";
    check(digest("SHA256", "abc", sha256) &&
              strcmp(sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
          "SHA-256(abc)");
    check(digest("SM3", "abc", sm3) &&
              strcmp(sm3, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0") == 0,
          "SM3(abc)");
    check(ed25519_roundtrip(), "Ed25519 sign and verify");
    printf("%s; SHA-256, SM3, Ed25519 ok\n", OpenSSL_version(OPENSSL_VERSION));
    check(OPENSSL_VERSION_MAJOR == 3, "OpenSSL 3 headers");

    char sqlite_info[64];
    check(sqlite_roundtrip(sqlite_info, sizeof sqlite_info), "SQLite in-memory round trip");
    printf("sqlite %s (%s)\n", sqlite3_libversion(), sqlite_info);
    check(sqlite3_libversion_number() == SQLITE_VERSION_NUMBER, "libsqlite3 version matches its header");

    char cxx[128];
    check(probe_cxx(cxx, sizeof cxx), "C++ runtime (exceptions, std::string, std::thread)");
    printf("%s\n", cxx);
    printf("pointer %zu bits, uint64 atomics %s\n", sizeof(void *) * 8,
           __atomic_always_lock_free(sizeof(uint64_t), 0) ? "lock-free" : "via libatomic");

    if (failures) {
        printf("probe FAILED (%d)\n", failures);
        return 1;
    }
    printf("probe ok\n");
    return 0;
}
