/// The detectors' rules. The raw value is the rule id used in output and in
/// the journal field `LEAFWATCH_RULE`.
public enum Rule: String, Sendable, CaseIterable, Comparable {
    case authFailuresPerIP = "auth-failures-per-ip"
    case authFailuresPerUser = "auth-failures-per-user"
    case newClientForUser = "new-client-for-user"
    case serverErrorBurst = "server-error-burst"
    case requestFlood = "request-flood"

    /// The fixed 128-bit journal `MESSAGE_ID` of this rule's alerts, as 32
    /// lower-case hex digits. These are random values chosen once; they never
    /// change, because operators' journal queries and the catalog use them.
    public var messageID: String {
        switch self {
        case .authFailuresPerIP: "549ffba2625c44668d6fefd85283c6a3"
        case .authFailuresPerUser: "b51bc204a0a14b7ea00cce661f519eec"
        case .newClientForUser: "ce76e333ceb74e5a9d18ee1ef93f907c"
        case .serverErrorBurst: "575aea71855a4979b77319615a2c93b5"
        case .requestFlood: "0688c7aa6e234eedaa9705568df593d6"
        }
    }

    public static func < (left: Rule, right: Rule) -> Bool {
        left.rawValue < right.rawValue
    }
}
