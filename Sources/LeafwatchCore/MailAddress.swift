/// The form of mail address that `[Report] To=`, `From=` and `--to` accept:
/// a plain `local@domain` of printable ASCII, without a display name,
/// comment or quoting, so that it is valid in a header as it is and cannot
/// add one.
public enum MailAddress {
    /// Bytes that would start a display name, a comment, a quoted part or a
    /// second address.
    private static let forbidden: Set<UInt8> = Set("<>,;:\"()[]\\ ".utf8)

    /// Tells whether `text` is one address of that form.
    public static func isValid(_ text: String) -> Bool {
        let parts = text.utf8.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && !forbidden.contains($0) }
    }
}
