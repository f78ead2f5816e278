/// Recognition of authentication failures and authorization denials.
///
/// httpd 2.4 lines are recognized by their message code and 2.2 lines by
/// their wording, since 2.2 has no codes. A 2.4 line without a code is never
/// an event: mod_evasive, for one, writes `client denied by server
/// configuration` without a code for its own blocks. User names come from
/// the request, so they may contain any text. Where a name's end is
/// ambiguous, the first end marker after `user ` is taken.
extension ErrorLogParser {
    /// Classifies the Apache message in `bytes[from..<to]`, which still
    /// includes any `, referer: …` suffix but not the message code.
    static func apacheEvent(
        _ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int, code: Int?, dialect: ErrorLogRecord.Dialect
    ) -> ErrorLogEvent? {
        if let code { return apache24Event(bytes, from: from, to: to, code: code) }
        guard dialect == .apache22 else { return nil }
        return apache22Event(bytes, from: from, to: to)
    }

    /// Codes and wordings as in httpd 2.4's mod_auth_basic, mod_auth_digest,
    /// mod_authz_core, mod_access_compat and mod_authz_owner.
    static func apache24Event(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int, code: Int) -> ErrorLogEvent? {
        switch code {
        case 1617:
            // user NAME: authentication failure for "URI": Password Mismatch
            let user = text(between: "user ", and: ": authentication failure for ", bytes, from: from, to: to)
            return .authenticationFailure(user: user, reason: .passwordMismatch)
        case 1618:
            // user NAME not found: URI
            let user = text(between: "user ", and: " not found", bytes, from: from, to: to)
            return .authenticationFailure(user: user, reason: .userNotFound)
        case 1614, 1781:
            // client used wrong authentication scheme: URI (Digest adds `SCHEME')
            return .authenticationFailure(user: nil, reason: .wrongScheme)
        case 1790:
            // user `NAME' in realm `REALM' not found: URI
            let user = text(between: "user `", and: "' in realm `", bytes, from: from, to: to)
            return .authenticationFailure(user: user, reason: .userNotFound)
        case 1791:
            // user `NAME' in realm `REALM' denied by provider: URI
            let user = text(between: "user `", and: "' in realm `", bytes, from: from, to: to)
            return .authenticationFailure(user: user, reason: .other)
        case 1792, 1794:
            // user NAME: password mismatch: URI
            let user = text(between: "user ", and: ": password mismatch", bytes, from: from, to: to)
            return .authenticationFailure(user: user, reason: .passwordMismatch)
        case 1775, 1777, 1782, 1787, 1788, 1789, 1793:
            // Digest nonce length or time travel, missing fields, invalid
            // opaque, realm mismatch, unknown algorithm, invalid qop. AH01776,
            // a nonce whose hash does not match, is left out, because a
            // nonce issued before the server was last started gets it too.
            return .authenticationFailure(user: nil, reason: .other)
        case 1630, 1797:
            // client denied by server configuration: PATH
            return .authorizationDenied(user: nil)
        case 1631:
            // user NAME: authorization failure for "URI":
            let user = text(between: "user ", and: ": authorization failure for ", bytes, from: from, to: to)
            return .authorizationDenied(user: user)
        case 1637:
            // Authorization of user NAME to access PATH failed, reason: …
            let user = text(between: "Authorization of user ", and: " to access ", bytes, from: from, to: to)
            return .authorizationDenied(user: user)
        default:
            return nil
        }
    }

    /// Wordings of httpd 2.2's mod_auth_basic, mod_auth_digest (prefixed
    /// `Digest: `), mod_authz_host, mod_authz_owner and mod_authz_user.
    static func apache22Event(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> ErrorLogEvent? {
        if matches("Digest: ", in: bytes, at: from) {
            return apache22DigestEvent(bytes, from: from + 8, to: to)
        }

        if matches("user ", in: bytes, at: from) {
            if let user = text(between: "user ", and: ": authentication failure for ", bytes, from: from, to: to) {
                return .authenticationFailure(user: user, reason: .passwordMismatch)
            }
            if let user = userBeforeNotFound(bytes, from: from, to: to) {
                return .authenticationFailure(user: user, reason: .userNotFound)
            }
            if let user = text(between: "user ", and: ": authorization failure for ", bytes, from: from, to: to) {
                return .authorizationDenied(user: user)
            }
            return nil
        }
        if matches("client used wrong authentication scheme", in: bytes, at: from) {
            return .authenticationFailure(user: nil, reason: .wrongScheme)
        }
        if matches("client denied by server configuration: ", in: bytes, at: from) {
            return .authorizationDenied(user: nil)
        }
        if let user = text(between: "Authorization of user ", and: " to access ", bytes, from: from, to: to) {
            return .authorizationDenied(user: user)
        }
        // access to URI failed, reason: user 'NAME' does not meet 'require'ments for user/valid-user to be allowed access
        if matches("access to ", in: bytes, at: from),
           let reason = find("failed, reason: user '", in: bytes, from: from, to: to),
           let nameEnd = find("' does not meet 'require'ments", in: bytes, from: reason + 22, to: to) {
            return .authorizationDenied(user: apacheUser(bytes, reason + 22, nameEnd))
        }
        return nil
    }

    static func apache22DigestEvent(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> ErrorLogEvent? {
        if let user = text(between: "user `", and: "' in realm `", bytes, from: from, to: to) {
            // user `NAME' in realm `REALM' not found: URI
            guard find("' not found", in: bytes, from: from, to: to) != nil else { return nil }
            return .authenticationFailure(user: user, reason: .userNotFound)
        }
        if let user = text(between: "user ", and: ": password mismatch", bytes, from: from, to: to) {
            return .authenticationFailure(user: user, reason: .passwordMismatch)
        }
        if matches("client used wrong authentication scheme", in: bytes, at: from) {
            return .authenticationFailure(user: nil, reason: .wrongScheme)
        }
        if matches("invalid nonce ", in: bytes, at: from) {
            // See AH01776 above for why a hash mismatch is not counted.
            if find(" received - length is not ", in: bytes, from: from, to: to) != nil
                || find(" received - user attempted time travel", in: bytes, from: from, to: to) != nil {
                return .authenticationFailure(user: nil, reason: .other)
            }
            return nil
        }
        if matches("realm mismatch - ", in: bytes, at: from) || matches("unknown algorithm `", in: bytes, at: from)
            || matches("invalid qop `", in: bytes, at: from) || matches("received invalid opaque", in: bytes, at: from)
            || matches("missing user, realm, nonce", in: bytes, at: from) {
            return .authenticationFailure(user: nil, reason: .other)
        }
        return nil
    }

    /// Reads `user NAME not found` followed by `:`, `,` or the end of the
    /// message, as httpd 2.0 and 2.2 write it. NAME may be empty.
    static func userBeforeNotFound(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> String? {
        guard matches("user ", in: bytes, at: from),
              let end = find(" not found", in: bytes, from: from + 5, to: to)
        else { return nil }
        let after = end + 10
        guard after == to || bytes[after] == ASCII.colon || bytes[after] == ASCII.comma else { return nil }
        return apacheUser(bytes, from + 5, end)
    }

    /// Classifies the nginx message in `bytes[from..<to]`, without the
    /// `, client: …` suffix: ngx_http_auth_basic_module's `user "NAME" was
    /// not found in "FILE"` and `user "NAME": password mismatch`,
    /// ngx_http_auth_pam_module's `PAM: user 'NAME' - not authenticated: …`,
    /// and ngx_http_access_module's `access forbidden by rule`. The name
    /// ends at the last end marker, because only the name comes from the
    /// request.
    static func nginxEvent(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> ErrorLogEvent? {
        if matches("user \"", in: bytes, at: from) {
            let nameStart = from + 6
            let mismatch = to - 20
            if mismatch >= nameStart, matches("\": password mismatch", in: bytes, at: mismatch) {
                return .authenticationFailure(user: text(bytes, nameStart, mismatch), reason: .passwordMismatch)
            }
            // nginx writes `" was not found in "`, and `": was not found in "`
            // is accepted as well.
            if to > nameStart, bytes[to - 1] == ASCII.quote,
               let notFound = findLast(" was not found in \"", in: bytes, from: nameStart, to: to) {
                var nameEnd = notFound
                if nameEnd > nameStart, bytes[nameEnd - 1] == ASCII.colon { nameEnd -= 1 }
                if nameEnd > nameStart, bytes[nameEnd - 1] == ASCII.quote {
                    return .authenticationFailure(user: text(bytes, nameStart, nameEnd - 1), reason: .userNotFound)
                }
            }
            return nil
        }
        if matches("PAM: user '", in: bytes, at: from),
           let nameEnd = findLast("' - not authenticated", in: bytes, from: from + 11, to: to) {
            return .authenticationFailure(user: text(bytes, from + 11, nameEnd), reason: .other)
        }
        if to - from == 24, matches("access forbidden by rule", in: bytes, at: from) {
            return .authorizationDenied(user: nil)
        }
        return nil
    }

    /// Returns the text between `prefix`, which must start at `from`, and
    /// the first `terminator` after it, or nil when either is missing.
    static func text(
        between prefix: StaticString, and terminator: StaticString,
        _ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int
    ) -> String? {
        guard matches(prefix, in: bytes, at: from) else { return nil }
        let nameStart = from + prefix.utf8CodeUnitCount
        guard let nameEnd = find(terminator, in: bytes, from: nameStart, to: to) else { return nil }
        return apacheUser(bytes, nameStart, nameEnd)
    }

    /// Returns the user name in `bytes[from..<to]` of an Apache message.
    /// Apache escapes the message as mod_log_config escapes `%u` (`\xhh`
    /// for bytes outside printable ASCII, `\\` for a backslash), so the name
    /// is decoded to match the one in the access log.
    static func apacheUser(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> String {
        guard from < to else { return "" }
        return ApacheEscapes.decodeString(UnsafeBufferPointer(rebasing: bytes[from..<to]))
    }
}
