/*
 * Type-checks EdgeLedger's C system-library module maps (Sources/CMosquitto, COpenSSL, CSQLite) the way
 * the Swift compiler's Clang importer loads them: as Clang modules, against the target sysroot.
 * Each import must build, and a symbol every wrapper relies on must be visible through it.
 */
#pragma clang module import CMosquitto
#pragma clang module import COpenSSL
#pragma clang module import CSQLite

void edge_ledger_modules_probe(void) {
    int major, minor, revision;
    (void)mosquitto_lib_version(&major, &minor, &revision);
    (void)MQTT_PROP_SESSION_EXPIRY_INTERVAL;  /* from mqtt_protocol.h through the shim */
    (void)EVP_MD_fetch(NULL, "SM3", NULL);
    (void)OSSL_PKEY_PARAM_GROUP_NAME;        /* core_names.h */
    (void)sqlite3_libversion();
    (void)csqlite_transient();               /* the shim's inline helper */
}
