extension Report {
    /// Writes the report as one JSON object and a line break. Times are
    /// ISO 8601 in UTC, names are exact (JSON escaping only), and the keys
    /// stay stable for scripts.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("host", host)
        writer.field("timeZone", timeZone)
        writer.field("checkInDay", checkInDay.name)
        writer.key("period")
        Self.writeSpan(period, to: &writer)
        writer.key("previousPeriod")
        Self.writeSpan(previousPeriod, to: &writer)
        writer.field("requests", requests)
        writer.field("previousRequests", previousRequests)

        writer.key("statusClasses")
        writer.beginArray()
        for total in statusClasses {
            writer.beginObject()
            writer.field("class", total.name)
            writer.field("count", total.count)
            writer.field("previousCount", total.previousCount)
            writer.field("change", total.change)
            writer.endObject()
        }
        writer.endArray()

        writer.key("days")
        writer.beginArray()
        for day in days {
            writer.beginObject()
            writer.field("date", day.date)
            writer.field("weekday", day.weekday.name)
            writer.field("start", CivilTime.iso8601(day.span.lowerBound))
            writer.field("end", CivilTime.iso8601(day.span.upperBound))
            writer.field("requests", day.requests)
            writer.field("denied", day.denied)
            writer.field("serverErrors", day.serverErrors)
            writer.field("usersLoggedIn", day.usersLoggedIn)
            writer.field("isCheckInDay", day.isCheckInDay)
            writer.endObject()
        }
        writer.endArray()

        writer.key("topDeniedClients")
        Self.writeClients(topDeniedClients, to: &writer)
        writer.key("topServerErrorClients")
        Self.writeClients(topServerErrorClients, to: &writer)
        writer.key("usersWithFailures")
        Self.writeUsers(usersWithFailures, to: &writer)
        writer.key("lockedOutUsers")
        Self.writeUsers(lockedOutUsers, to: &writer)

        writer.key("newAddresses")
        writer.beginObject()
        writer.field("total", newAddresses.total)
        writer.key("users")
        writer.beginArray()
        for entry in newAddresses.entries {
            writer.beginObject()
            writer.field("user", entry.user)
            writer.field("isNewUser", entry.isNewUser)
            writer.field("addressCount", entry.addressCount)
            writer.key("addresses")
            Self.writeAddresses(entry.addresses, to: &writer)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()

        writer.field("alertsRead", alertsRead)
        writer.key("episodes")
        writer.beginArray()
        for episode in episodes {
            writer.beginObject()
            writer.field("rule", episode.rule.rawValue)
            writer.field("key", episode.key)
            writer.field("client", episode.client)
            writer.field("user", episode.user)
            writer.field("virtualHost", episode.virtualHost)
            writer.field("priority", episode.priority.name)
            writer.field("count", episode.count)
            writer.field("threshold", episode.threshold)
            writer.field("window", episode.window)
            writer.field("firstSeen", CivilTime.iso8601(episode.firstSeen))
            writer.field("lastSeen", CivilTime.iso8601(episode.lastSeen))
            writer.field("episodeID", episode.episodeID)
            writer.field("host", episode.host)
            writer.field("isClosed", episode.isClosed)
            writer.endObject()
        }
        writer.endArray()

        writer.key("dataQuality")
        writer.beginObject()
        writer.key("gaps")
        writer.beginArray()
        for gap in dataQuality.gaps {
            writer.beginObject()
            writer.field("start", CivilTime.iso8601(gap.span.lowerBound))
            writer.field("end", CivilTime.iso8601(gap.span.upperBound))
            writer.field("seconds", gap.span.upperBound - gap.span.lowerBound)
            writer.field("reason", gap.reason)
            writer.endObject()
        }
        writer.endArray()
        writer.field("malformedLines", dataQuality.malformedLines)
        writer.field("cutLines", dataQuality.cutLines)
        writer.key("sourceProblems")
        writer.beginArray()
        for problem in dataQuality.sourceProblems { writer.value(problem) }
        writer.endArray()
        writer.endObject()

        writer.endObject()
        writer.newline()
    }

    /// Returns the report as JSON text with a final line break.
    public func json() -> String {
        var writer = JSONWriter()
        write(to: &writer)
        return writer.output
    }

    private static func writeSpan(_ span: Range<Int64>, to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("start", CivilTime.iso8601(span.lowerBound))
        writer.field("end", CivilTime.iso8601(span.upperBound))
        writer.endObject()
    }

    private static func writeClients(_ clients: [Client], to writer: inout JSONWriter) {
        writer.beginArray()
        for client in clients {
            writer.beginObject()
            writer.field("address", client.address)
            writer.field("requests", client.requests)
            writer.field("denied", client.denied)
            writer.field("serverErrors", client.serverErrors)
            writer.field("errorLogFailures", client.errorLogFailures)
            writer.endObject()
        }
        writer.endArray()
    }

    private static func writeUsers(_ listing: Listing<User>, to writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("total", listing.total)
        writer.key("users")
        writer.beginArray()
        for user in listing.entries {
            writer.beginObject()
            writer.field("name", user.name)
            writer.field("failures", user.failures)
            writer.field("successes", user.successes)
            writer.field("failureAddressCount", user.failureAddressCount)
            writer.key("failureAddresses")
            writeAddresses(user.failureAddresses, to: &writer)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
    }

    private static func writeAddresses(_ addresses: [AddressCount], to writer: inout JSONWriter) {
        writer.beginArray()
        for entry in addresses {
            writer.beginObject()
            writer.field("address", entry.address)
            writer.field("count", entry.count)
            writer.endObject()
        }
        writer.endArray()
    }
}
