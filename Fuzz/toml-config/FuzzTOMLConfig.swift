import EdgeLedgerCore

/// libFuzzer target `toml-config`: the configuration loader end to end, as `edge-ledger run`,
/// `upstream` and `check-config` use it: the project's TOML 1.0 parser, the conversion to
/// `ConfigValue`, and the agent and upstream schema validation.
///
/// Any text must load or throw `ConfigError`, never trap, abort or touch memory it does not own.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTOMLConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // Both parse the document (parser, conversion) before validating it.
    _ = try? ConfigLoader.parse(toml: text, environment: ["EDGE_LEDGER_FUZZ": "secret"], baseDirectory: "/etc/x")
    _ = try? ConfigLoader.parseUpstream(toml: text, environment: [:], baseDirectory: nil)
    return 0
}
