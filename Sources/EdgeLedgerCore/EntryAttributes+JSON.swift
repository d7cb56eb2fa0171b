extension EntryAttributes {
    /// Appends the attributes as JSON object members, each preceded by a comma (nothing when
    /// empty): `"device_time"` (RFC 3339) and `"device_time_ns"`, `"content_type"`,
    /// `"user_properties"` (`[{"name":…,"value":…}]` in order) and `"sparkplug"`
    /// (`{"type":"NDATA","group_id":…,"edge_node_id":…,"device_id":…,"seq":…,"bd_seq":…,
    /// "timestamp_ms":…}`, absent fields left out). `edge-ledger export` writes these.
    public func appendJSONMembers(to out: inout [UInt8]) {
        if let deviceTime {
            out.append(contentsOf: ",\"device_time\":\"".utf8)
            out.append(contentsOf: RFC3339.string(nanoseconds: deviceTime).utf8)
            out.append(contentsOf: "\",\"device_time_ns\":".utf8)
            JSONWriter.appendInteger(deviceTime, to: &out)
        }
        if let contentType {
            out.append(contentsOf: ",\"content_type\":".utf8)
            JSONWriter.appendString(contentType, to: &out)
        }
        if !userProperties.isEmpty {
            out.append(contentsOf: ",\"user_properties\":[".utf8)
            for (n, property) in userProperties.enumerated() {
                out.append(contentsOf: (n == 0 ? "{\"name\":" : ",{\"name\":").utf8)
                JSONWriter.appendString(property.name, to: &out)
                out.append(contentsOf: ",\"value\":".utf8)
                JSONWriter.appendString(property.value, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        if let sparkplug {
            out.append(contentsOf: ",\"sparkplug\":{\"type\":\"\(sparkplug.messageType.name)\",\"group_id\":".utf8)
            JSONWriter.appendString(sparkplug.groupID, to: &out)
            out.append(contentsOf: ",\"edge_node_id\":".utf8)
            JSONWriter.appendString(sparkplug.edgeNodeID, to: &out)
            if let device = sparkplug.deviceID {
                out.append(contentsOf: ",\"device_id\":".utf8)
                JSONWriter.appendString(device, to: &out)
            }
            for (name, value) in [
                ("seq", sparkplug.seq), ("bd_seq", sparkplug.bdSeq), ("timestamp_ms", sparkplug.timestamp),
            ] {
                guard let value else { continue }
                out.append(contentsOf: ",\"\(name)\":".utf8)
                JSONWriter.appendInteger(value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
