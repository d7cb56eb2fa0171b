/// The tables and values of a TOML document while it is parsed, with the TOML 1.0 rules on
/// defining them: no key defined twice, no table defined twice, inline tables and static arrays
/// closed once written, tables made by dotted keys not reopened by a `[header]`, and the
/// reverse.
///
/// Nodes live in one array and refer to each other by index, so that a `[header]` later in
/// the document can add to a table made earlier without reference types.
struct TOMLTree {
    /// How a table came to be; it decides what may still add to it.
    enum TableKind {
        /// Made as the parent of a `[header]` (`a` for `[a.b]`); a later `[a]` may define it.
        case implicit
        /// Defined by a `[header]` or as an element of an array of tables.
        case header
        /// Made by a dotted key (`a.b = 1` makes `a`).
        case dotted
        /// An inline table `{ ... }`: complete once written.
        case inline
    }

    /// What a node is.
    enum Kind {
        case table(TableKind)
        case tableArray
        case staticArray
        case scalar(ConfigValue)
    }

    /// Why a header or key cannot be added: the key path and what is wrong.
    struct Refusal: Error {
        let path: String
        let message: String
    }

    private struct Node {
        var kind: Kind
        var line: Int
        var children: [String: Int] = [:]
        var elements: [Int] = []
    }

    private static let root = 0
    private var nodes: [Node] = [Node(kind: .table(.header), line: 1)]

    // MARK: Building

    /// Adds a scalar value; its index, for ``insert(_:value:into:path:line:)`` or ``append(_:to:)``.
    mutating func scalar(_ value: ConfigValue, line: Int) -> Int { add(Node(kind: .scalar(value), line: line)) }

    /// Adds an empty static array (`[1, 2]`).
    mutating func staticArray(line: Int) -> Int { add(Node(kind: .staticArray, line: line)) }

    /// Adds an empty inline table (`{ a = 1 }`), to be filled by ``insert(_:value:into:path:line:)``.
    mutating func inlineTable(line: Int) -> Int { add(Node(kind: .table(.inline), line: line)) }

    /// Appends `element` to the static array `array`.
    mutating func append(_ element: Int, to array: Int) { nodes[array].elements.append(element) }

    /// `[keys]` (or `[[keys]]` when `isArray`): the table that the following key/value pairs go
    /// into, and its key path for messages.
    mutating func openHeader(_ keys: [String], isArray: Bool, line: Int) throws(Refusal) -> (table: Int, path: String) {
        var table = Self.root
        var path = ""
        for key in keys.dropLast() {
            path = Self.join(path, key)
            if let child = nodes[table].children[key] {
                switch nodes[child].kind {
                case .table(.inline):
                    throw Refusal(
                        path: path, message: "is an inline table (line \(nodes[child].line)); it cannot be extended")
                case .table:
                    table = child
                case .tableArray:
                    table = nodes[child].elements[nodes[child].elements.count - 1]
                    path += "[\(nodes[child].elements.count - 1)]"
                case .staticArray, .scalar:
                    throw Refusal(path: path, message: "is \(describe(child)) (line \(nodes[child].line)), not a table")
                }
            } else {
                table = link(key, Node(kind: .table(.implicit), line: line), in: table)
            }
        }
        let last = keys[keys.count - 1]
        path = Self.join(path, last)
        guard let existing = nodes[table].children[last] else {
            if isArray {
                let element = add(Node(kind: .table(.header), line: line))
                var array = Node(kind: .tableArray, line: line)
                array.elements = [element]
                link(last, array, in: table)
                return (element, path + "[0]")
            }
            return (link(last, Node(kind: .table(.header), line: line), in: table), path)
        }
        let first = nodes[existing].line
        switch (nodes[existing].kind, isArray) {
        case (.tableArray, true):
            let element = add(Node(kind: .table(.header), line: line))
            nodes[existing].elements.append(element)
            return (element, path + "[\(nodes[existing].elements.count - 1)]")
        case (.table(.implicit), false):
            nodes[existing].kind = .table(.header)
            nodes[existing].line = line
            return (existing, path)
        case (.table(.header), false):
            throw Refusal(path: path, message: "table [\(path)] defined twice (first on line \(first))")
        case (.table(.dotted), false):
            throw Refusal(path: path, message: "table [\(path)] was already defined by dotted keys on line \(first)")
        case (.table(.inline), _):
            throw Refusal(path: path, message: "is an inline table (line \(first)); it cannot be extended")
        case (.tableArray, false):
            throw Refusal(
                path: path, message: "is an array of tables (line \(first)); [[\(path)]] adds an element to it")
        case (.table, true):
            throw Refusal(path: path, message: "is a table (line \(first)), not an array of tables")
        case (.staticArray, true):
            throw Refusal(path: path, message: "is a static array (line \(first)); [[\(path)]] cannot add to it")
        case (.staticArray, false), (.scalar, _):
            throw Refusal(path: path, message: "is \(describe(existing)) (line \(first)), not a table")
        }
    }

    /// `keys = value` inside `table` (whose key path is `path`): intermediate keys make or enter
    /// tables defined by dotted keys; the last key must be new.
    mutating func insert(_ keys: [String], value: Int, into table: Int, path: String, line: Int) throws(Refusal) {
        var table = table
        var path = path
        for key in keys.dropLast() {
            path = Self.join(path, key)
            if let child = nodes[table].children[key] {
                let first = nodes[child].line
                switch nodes[child].kind {
                case .table(.dotted), .table(.implicit):
                    table = child
                case .table(.header):
                    throw Refusal(
                        path: path,
                        message:
                            "table [\(path)] was defined by a header on line \(first); dotted keys cannot add to it"
                    )
                case .table(.inline):
                    throw Refusal(path: path, message: "is an inline table (line \(first)); it cannot be extended")
                case .tableArray, .staticArray, .scalar:
                    throw Refusal(path: path, message: "is \(describe(child)) (line \(first)), not a table")
                }
            } else {
                table = link(key, Node(kind: .table(.dotted), line: line), in: table)
            }
        }
        let last = keys[keys.count - 1]
        path = Self.join(path, last)
        if let existing = nodes[table].children[last] {
            throw Refusal(path: path, message: "defined twice (first on line \(nodes[existing].line))")
        }
        nodes[table].children[last] = value
    }

    // MARK: Result

    /// The whole document.
    var document: ConfigValue { value(of: Self.root) }

    private func value(of index: Int) -> ConfigValue {
        let node = nodes[index]
        switch node.kind {
        case .table: return .table(node.children.mapValues { value(of: $0) })
        case .tableArray, .staticArray: return .array(node.elements.map { value(of: $0) })
        case .scalar(let value): return value
        }
    }

    // MARK: Helpers

    private mutating func add(_ node: Node) -> Int {
        nodes.append(node)
        return nodes.count - 1
    }

    @discardableResult
    private mutating func link(_ key: String, _ node: Node, in table: Int) -> Int {
        let index = add(node)
        nodes[table].children[key] = index
        return index
    }

    private func describe(_ index: Int) -> String {
        switch nodes[index].kind {
        case .table(.inline): "an inline table"
        case .table: "a table"
        case .tableArray: "an array of tables"
        case .staticArray: "an array"
        case .scalar(let value): value.kindDescription
        }
    }

    /// `path.key`, with `key` quoted when it is not a bare key.
    static func join(_ path: String, _ key: String) -> String {
        let rendered =
            key.isEmpty || key.contains(where: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
            ? ConfigValue.string(key).shortDescription : key
        return path.isEmpty ? rendered : path + "." + rendered
    }
}
