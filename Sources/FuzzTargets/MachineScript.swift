import SafeParse

// FROZEN INPUT ENCODING of the `connection-machine` target (see MessageOptions.swift for why
// it is frozen: saved inputs must keep their meaning).
//
//     byte 0  options
//       bits 0-1  request limits profile (`LimitsProfile`): 0 default, 1 small, 2 tiny, 3 zero
//       bits 2-3  response limits profile (same values)
//       bit  4    the client address is outside `--allow` (start answers 403 and closes)
//       bits 5-7  reserved (must be 0; inputs setting one are skipped)
//     byte 1...  events, each an op byte: kind = bits 5-7, a = bits 0-4
//       kind 0    the client sends bytes: length = a << 8 | next byte, then that many bytes
//                 (fewer when the input ends first)
//       kind 1    the origin sends bytes: same layout
//       kind 2    the client sends canned request a (`CannedMessages.requests[a]`)
//       kind 3    the origin sends canned response a (`CannedMessages.responses[a]`)
//       kind 4    the pending connect ends: a % 4 = 0 or 3 connected, 1 refused, 2 name not resolved
//       kind 5    a close: a % 4 = 0 client EOF, 1 a write to the client fails,
//                 2 origin EOF, 3 the origin connection is reset
//       kind 6    the armed timer fires (the clock jumps to its deadline)
//       kind 7    the clock advances (a + 1) seconds; the armed timer fires if that passes its deadline
//
// Bytes sent by a peer are delivered as a real driver would: the client's only while the
// machine wants them (`wantsClientBytes`), the origin's only on a connected upstream; a peer's
// EOF after its bytes. Events that cannot happen in the model (a connect result with no connect
// pending, origin bytes with no connection) do nothing. Once the machine closed the client,
// every event is delivered to it directly, as a racing driver might.

/// One decoded event of a `connection-machine` input.
enum ScriptEvent: Equatable {
    case clientBytes([UInt8])
    case originBytes([UInt8])
    case connectResult(ConnectOutcome)
    case clientEOF
    case clientWriteFailed
    case originEOF
    case originReset
    case timerFires
    case clockAdvances(seconds: UInt64)

    enum ConnectOutcome: Equatable {
        case connected, refused, unresolved
    }
}

/// Decoded options of a `connection-machine` input.
struct MachineOptions: Equatable {
    var requestProfile: LimitsProfile
    var responseProfile: LimitsProfile
    var clientDenied: Bool

    /// Index into the prepared engine contexts (one per option combination).
    var contextIndex: Int {
        Int(requestProfile.rawValue) | Int(responseProfile.rawValue) << 2 | (clientDenied ? 16 : 0)
    }

    static let combinations = 32
}

enum MachineScript {
    /// Decodes `data`; nil when it is empty or sets a reserved option bit.
    static func decode(_ data: [UInt8]) -> (MachineOptions, [ScriptEvent])? {
        guard let flags = data.first, flags & 0b1110_0000 == 0 else { return nil }
        let options = MachineOptions(requestProfile: LimitsProfile(rawValue: flags & 0b11) ?? .standard,
                                     responseProfile: LimitsProfile(rawValue: (flags >> 2) & 0b11) ?? .standard,
                                     clientDenied: flags & 0b1_0000 != 0)
        var events: [ScriptEvent] = []
        var i = 1
        while i < data.count {
            let op = data[i]
            let a = Int(op & 0x1F)
            i += 1
            switch op >> 5 {
            case 0, 1:
                var length = a << 8
                if i < data.count { length |= Int(data[i]); i += 1 }
                let end = min(data.count, i + length)
                let bytes = Array(data[i..<end])
                i = end
                events.append(op >> 5 == 0 ? .clientBytes(bytes) : .originBytes(bytes))
            case 2:
                events.append(.clientBytes(CannedMessages.requests[a]))
            case 3:
                events.append(.originBytes(CannedMessages.responses[a]))
            case 4:
                let outcomes: [ScriptEvent.ConnectOutcome] = [.connected, .refused, .unresolved, .connected]
                events.append(.connectResult(outcomes[a % 4]))
            case 5:
                let closes: [ScriptEvent] = [.clientEOF, .clientWriteFailed, .originEOF, .originReset]
                events.append(closes[a % 4])
            case 6:
                events.append(.timerFires)
            default:
                events.append(.clockAdvances(seconds: UInt64(a + 1)))
            }
        }
        return (options, events)
    }
}
