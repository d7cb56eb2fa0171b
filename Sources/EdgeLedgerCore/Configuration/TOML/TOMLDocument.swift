/// TOML text to ``ConfigValue``: the size limit, then ``TOMLParser``.
enum TOMLDocument {
    static func parse(_ text: String, limit: Int) throws(ConfigError) -> ConfigValue {
        if text.utf8.count > limit {
            throw ConfigError(path: "", message: "document is larger than \(limit) bytes")
        }
        return try TOMLParser.parse(text)
    }
}
