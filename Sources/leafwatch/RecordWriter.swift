import LeafwatchCore

/// Writes parsed lines as JSON Lines for `scan --records`: one object per
/// line with the file, line number, UTC time, status and every field the
/// format contains, decoded from Apache's escapes.
struct RecordWriter {
    private var pending = ""

    mutating func write(_ parser: AccessLogParser, line: UnsafeBufferPointer<UInt8>, path: String, number: Int) {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("file", path)
        writer.field("line", number)
        if parser.format.contains(.time) { writer.field("utc", CivilTime.iso8601(parser.time)) }
        if parser.status != 0 { writer.field("statusCode", parser.status) }
        for field in AccessField.allCases {
            guard let bytes = parser.bytes(field, in: line) else { continue }
            writer.field(field.name, ApacheEscapes.decodeString(bytes))
        }
        for (index, name) in parser.format.extraFieldNames.enumerated() {
            let range = parser.ranges[AccessField.allCases.count + index]
            guard range.isPresent else { continue }
            writer.field(name, ApacheEscapes.decodeString(UnsafeBufferPointer(rebasing: line[Int(range.start)..<Int(range.end)])))
        }
        writer.endObject()
        pending += writer.output
        pending += "\n"
        if pending.utf8.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        printOut(pending)
        pending = ""
    }
}
