// The C library, once for the whole project: every module that calls POSIX imports
// EdgeLedgerSystem and gets Glibc (or Musl, or Darwin) with it, instead of repeating the
// `#if canImport` block in each file.
#if canImport(Glibc)
    @_exported import Glibc
#elseif canImport(Musl)
    @_exported import Musl
#elseif canImport(Darwin)
    @_exported import Darwin
#endif
