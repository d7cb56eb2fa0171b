import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerSystem

/// The gateway registry: enrollment without restarts (`edge-ledger-upstream gateways …` and the
/// admin API write it; every instance reads it every `storage.registry_interval`).
extension CollectorStore {
    private static let registryColumns = "id, origin, settings, mode, enabled, revision, enrolled_at, hash_algorithm"

    /// Enrolls `gateway`.
    ///
    /// - Parameters:
    ///   - mode: pull or push; `nil`: the entry's own `mode`.
    ///   - update: when the origin is already enrolled, replace its settings (the configuration
    ///     file's `[[gateways]]` entries at start); otherwise that is an error.
    /// - Returns: the registry entry, and whether anything changed.
    /// - Throws: ``StoreError/Kind/conflict`` when the origin is already enrolled (and not
    ///   `update`); ``StoreError/Kind/wrongHashAlgorithm`` when its log was collected with another
    ///   hash algorithm.
    @discardableResult
    public func enroll(
        _ gateway: GatewayConfiguration, mode: RegisteredGateway.Mode? = nil, update: Bool = false,
        at time: Int64 = SystemClock.nowNanoseconds()
    ) async throws(StoreError) -> (gateway: RegisteredGateway, changed: Bool) {
        let gateway = { () -> GatewayConfiguration in
            var entry = gateway
            if let mode { entry.mode = mode }
            return entry
        }()
        guard gateway.mode == .push || !gateway.url.isEmpty else {
            throw StoreError(
                .conflict, "the gateway \(gateway.origin) is to be pulled but has no url",
                hint: "give its API's URL (--url), or enroll it with --mode push")
        }
        let mode = gateway.mode
        let settings = gateway.toml
        let origin = gateway.origin
        return try await storeTransaction(write: true, locking: origin) { (sql) throws(StoreError) in
            if let existing = try sql.registeredGateways(where: "WHERE origin = ?1", [.text(origin)]).first {
                guard existing.configuration.hash == gateway.hash else {
                    throw StoreError(
                        .wrongHashAlgorithm,
                        "the log \(origin) was collected with hash \(existing.configuration.hash.rawValue), not "
                            + "\(gateway.hash.rawValue)", hint: "a log never changes its hash algorithm")
                }
                if existing.enrolledAt != nil, !update {
                    throw StoreError(
                        .conflict, "the gateway \(origin) is already enrolled (id \(existing.id))",
                        hint: "use `gateways show` to see it, `gateways rotate-key` to change its keys, or "
                            + "`gateways disable` and `enable`")
                }
                if existing.enrolledAt != nil, existing.configuration == gateway, existing.mode == mode {
                    return (existing, false)
                }
                try sql.run(
                    "UPDATE gateways SET settings = ?2, mode = ?3, revision = revision + 1, "
                        + "enrolled_at = coalesce(enrolled_at, ?4) WHERE id = ?1",
                    [.int(existing.id), .text(settings), .text(mode.rawValue), .int(time)], "updating \(origin)")
            } else {
                try sql.run(
                    "INSERT INTO gateways(origin, hash_algorithm, settings, mode, enabled, revision, enrolled_at) "
                        + "VALUES (?1, ?2, ?3, ?4, 1, 1, ?5)",
                    [.text(origin), .text(gateway.hash.rawValue), .text(settings), .text(mode.rawValue), .int(time)],
                    "enrolling \(origin)")
            }
            guard let entry = try sql.registeredGateways(where: "WHERE origin = ?1", [.text(origin)]).first else {
                throw StoreError(.missing, "the gateway \(origin) just enrolled in \(sql.location) is missing")
            }
            return (entry, true)
        }
    }

    /// Every enrolled gateway, by origin (a log registered by a collector before enrollment
    /// existed has no settings and is not listed).
    public func registeredGateways() async throws(StoreError) -> [RegisteredGateway] {
        try await storeTransaction { (sql) throws(StoreError) in
            try sql.registeredGateways(where: "WHERE settings IS NOT NULL ORDER BY origin", [])
        }
    }

    /// The enrolled gateway `origin`, or `nil`.
    public func registeredGateway(origin: String) async throws(StoreError) -> RegisteredGateway? {
        try await storeTransaction { (sql) throws(StoreError) in
            try sql.registeredGateways(where: "WHERE origin = ?1 AND settings IS NOT NULL", [.text(origin)]).first
        }
    }

    /// A value that changes whenever any registry entry changes (cheap to poll).
    public func registryFingerprint() async throws(StoreError) -> Int64 {
        try await storeTransaction { (sql) throws(StoreError) in
            try sql.scalar(
                "SELECT CAST(coalesce(sum(revision), 0) * 1000003 + count(*) AS BIGINT) FROM gateways "
                    + "WHERE settings IS NOT NULL", [],
                "reading the gateway registry") ?? 0
        }
    }

    /// Enables or disables the enrolled gateway `origin`; a disabled gateway's lease is released.
    ///
    /// - Throws: ``StoreError/Kind/outOfRange`` when it is not enrolled.
    public func setEnabled(origin: String, _ enabled: Bool) async throws(StoreError) {
        try await storeTransaction(write: true, locking: origin) { (sql) throws(StoreError) in
            let changed = try sql.run(
                "UPDATE gateways SET enabled = ?2, revision = revision + 1"
                    + (enabled ? "" : ", lease_holder = NULL, lease_expires_at = 0")
                    + " WHERE origin = ?1 AND settings IS NOT NULL", [.text(origin), .int(enabled ? 1 : 0)],
                "\(enabled ? "enabling" : "disabling") \(origin)")
            guard changed > 0 else { throw Self.notEnrolled(origin, sql.location) }
        }
    }

    /// Replaces the verifier keys of the enrolled gateway `origin`: adds `add`, then removes
    /// `remove` (a rotation adds the new key first and removes the old one once the gateway
    /// signs with the new one); the result must keep at least one key.
    ///
    /// - Returns: the updated entry.
    public func rotateKeys(origin: String, add: [String], remove: [String]) async throws -> RegisteredGateway {
        try await transaction(write: true, locking: origin) { sql in
            guard var entry = try sql.registeredGateways(where: "WHERE origin = ?1", [.text(origin)]).first,
                entry.enrolledAt != nil
            else { throw Self.notEnrolled(origin, sql.location) }
            var keys = entry.configuration.verifierKeys
            for key in add where !keys.contains(key) { keys.append(key) }
            keys.removeAll { remove.contains($0) }
            entry.configuration.verifierKeys = keys
            // Validated by the same rules as the configuration file.
            let checked = try ConfigLoader.parseGateway(
                toml: entry.configuration.toml, environment: ConfigLoader.processEnvironment)
            try sql.run(
                "UPDATE gateways SET settings = ?2, revision = revision + 1 WHERE id = ?1",
                [.int(entry.id), .text(checked.toml)], "rotating the keys of \(origin)")
            entry.configuration = checked
            entry.revision += 1
            return entry
        }
    }

    static func notEnrolled(_ origin: String, _ location: String) -> StoreError {
        StoreError(
            .outOfRange, "no gateway \(origin) is enrolled in \(location)",
            hint: "`edge-ledger-upstream gateways list` shows the enrolled ones")
    }
}

extension UpstreamSQL {
    func registeredGateways(where clause: String, _ arguments: [SQLArgument]) throws(StoreError) -> [RegisteredGateway]
    {
        let environment = ConfigLoader.processEnvironment
        return try all(
            "SELECT id, origin, settings, mode, enabled, revision, enrolled_at, hash_algorithm FROM gateways \(clause)",
            arguments, "reading the gateway registry"
        ) { (row) throws(StoreError) in
            let origin = row.text(1) ?? ""
            let configuration: GatewayConfiguration
            if let settings = row.text(2) {
                do {
                    configuration = try ConfigLoader.parseGateway(toml: settings, environment: environment)
                } catch {
                    throw StoreError(
                        .corrupt, "the registry entry of \(origin) in \(location) is not valid: \(error)",
                        hint: "enroll it again with `edge-ledger-upstream gateways add --update`")
                }
            } else {
                configuration = GatewayConfiguration(
                    origin: origin, url: "", verifierKeys: [],
                    hash: HashAlgorithm(rawValue: row.text(7) ?? "") ?? .sha256)
            }
            return RegisteredGateway(
                id: row.int64(0), configuration: configuration,
                mode: RegisteredGateway.Mode(rawValue: row.text(3) ?? "") ?? .pull, enabled: row.int64(4) != 0,
                revision: row.int64(5), enrolledAt: row.optionalInt64(6))
        }
    }
}
