/// A strftime pattern from `%{...}t` compiled for reading timestamps back.
/// Supported conversions: `%Y %m %d %e %b %h %a %A %H %M %S %T %F %z %%`;
/// anything else makes `init` fail. Without `%z` the time is local time.
struct StrftimePattern: Sendable {
    enum Step: Sendable {
        case literal(UInt8)
        case year, month, day, monthName, weekdayName, hour, minute, second, offset
    }

    let steps: [Step]
    let hasOffset: Bool

    init?(_ pattern: String) {
        var steps: [Step] = []
        var iterator = Array(pattern.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == ASCII.percent else {
                steps.append(.literal(byte))
                continue
            }
            guard let conversion = iterator.next() else { return nil }
            switch Character(Unicode.Scalar(conversion)) {
            case "Y": steps.append(.year)
            case "m": steps.append(.month)
            case "d", "e": steps.append(.day)
            case "b", "h": steps.append(.monthName)
            case "a", "A": steps.append(.weekdayName)
            case "H": steps.append(.hour)
            case "M": steps.append(.minute)
            case "S": steps.append(.second)
            case "z": steps.append(.offset)
            case "T": steps += [.hour, .literal(ASCII.colon), .minute, .literal(ASCII.colon), .second]
            case "F": steps += [.year, .literal(ASCII.minus), .month, .literal(ASCII.minus), .day]
            case "%": steps.append(.literal(ASCII.percent))
            default: return nil
            }
        }
        self.steps = steps
        self.hasOffset = steps.contains { if case .offset = $0 { return true } else { return false } }
    }

    /// Parses `bytes` with the pattern and returns seconds since the epoch in
    /// UTC. Returns nil unless the pattern covers all of `bytes`.
    func parse(_ bytes: UnsafeBufferPointer<UInt8>, converter: inout LocalTimeConverter) -> Int64? {
        guard let (seconds, length) = parsePrefix(bytes, converter: &converter), length == bytes.count else { return nil }
        return seconds
    }

    /// Parses a timestamp at the start of `bytes` and returns seconds since
    /// the epoch in UTC with the number of bytes the pattern covered. The
    /// pattern alone decides where the timestamp ends, so a timestamp that
    /// contains spaces can precede a space-separated field.
    func parsePrefix(_ bytes: UnsafeBufferPointer<UInt8>, converter: inout LocalTimeConverter) -> (seconds: Int64, length: Int)? {
        var year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0
        var offset: Int64 = 0
        var i = 0

        func number(maxDigits: Int) -> Int? {
            // `%e` pads with a space.
            while i < bytes.count, bytes[i] == ASCII.space { i += 1 }
            var value = 0
            var digits = 0
            while i < bytes.count, digits < maxDigits, ASCII.isDigit(bytes[i]) {
                value = value * 10 + Int(bytes[i] - ASCII.zero)
                i += 1
                digits += 1
            }
            return digits > 0 ? value : nil
        }

        for step in steps {
            switch step {
            case .literal(let expected):
                guard i < bytes.count, bytes[i] == expected else { return nil }
                i += 1
            case .year: guard let value = number(maxDigits: 4) else { return nil }; year = value
            case .month: guard let value = number(maxDigits: 2) else { return nil }; month = value
            case .day: guard let value = number(maxDigits: 2) else { return nil }; day = value
            case .hour: guard let value = number(maxDigits: 2) else { return nil }; hour = value
            case .minute: guard let value = number(maxDigits: 2) else { return nil }; minute = value
            case .second: guard let value = number(maxDigits: 2) else { return nil }; second = value
            case .monthName:
                guard i + 3 <= bytes.count, let value = CivilTime.month(bytes[i], bytes[i + 1], bytes[i + 2]) else { return nil }
                month = value
                i += 3
            case .weekdayName:
                while i < bytes.count, (bytes[i] | 0x20) >= 0x61, (bytes[i] | 0x20) <= 0x7A { i += 1 }
            case .offset:
                if i < bytes.count, bytes[i] == UInt8(ascii: "Z") {
                    i += 1
                    continue
                }
                let length = i + 6 <= bytes.count && bytes[i + 3] == ASCII.colon ? 6 : 5
                guard i + length <= bytes.count,
                      let value = Timestamps.parseOffset(bytes.baseAddress! + i, count: length) else { return nil }
                offset = value
                i += length
            }
        }
        guard (1...12).contains(month), day >= 1, day <= CivilTime.daysInMonth(year: year, month: month),
              hour < 24, minute < 60, second <= 60 else { return nil }

        let wallClock = CivilTime.epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return (hasOffset ? wallClock - offset : converter.utc(fromLocal: wallClock), i)
    }
}
