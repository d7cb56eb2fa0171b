/// One MQTT 5 user property of a reading (attribute tag `0x03` of entry format v2): a name and a
/// value, both UTF-8, kept in the order the publisher sent them. Names may repeat.
public struct EntryUserProperty: Sendable, Hashable {
    /// The property name (may be empty).
    public var name: String
    /// The property value (may be empty).
    public var value: String

    /// Creates a user property.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
