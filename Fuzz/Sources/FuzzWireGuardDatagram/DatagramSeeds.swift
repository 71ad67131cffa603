import Crypto
import DataPlane
import FuzzSupport

/// Seed programs for the datagram target, in its input format (see `DatagramScenario.run`): each is a
/// header (flags, RNG seed) followed by opcodes with their operands.
enum DatagramSeeds {
    typealias Operation = DatagramOperation

    /// Opcode bytes, in `Operation.allCases` order.
    static func op(_ operation: Operation) -> UInt8 {
        UInt8(Operation.allCases.firstIndex(of: operation)!)
    }

    /// `PacketBuilder.packet` operands: well-formed IPv4 UDP from the initiator's to the responder's address.
    static let udpToResponder: [UInt8] = [0, 32, 0, 1, 1, 0]
    /// IPv6 TCP from the initiator's to the responder's address.
    static let tcp6ToResponder: [UInt8] = [1, 64, 0, 0, 1, 0]
    /// IPv4 ICMP from the responder's to the initiator's address.
    static let icmpToInitiator: [UInt8] = [0, 56, 0, 2, 0, 1]
    /// Deliver one message unchanged from the initiator's endpoint (count, mutation, offset, operand, source).
    static let deliverOne: [UInt8] = [0, 2, 0, 0, 0, 0]
    /// Deliver `count` messages unchanged.
    static func deliver(_ count: Int) -> [UInt8] {
        [UInt8(count - 1)] + Array(repeating: [2, 0, 0, 0, 0], count: count).joined()
    }

    static func make() -> [(name: String, bytes: [UInt8])] {
        var seeds: [(name: String, bytes: [UInt8])] = []
        // Flags: 0x01 handshake first, 0x02 preshared key, 0x04 responder knows the endpoint, 0x08 tight
        // limits, 0x10 MTU (0x20: 1280, else 64).
        seeds.append(("handshake-and-data", [0x07, 0]
            + [op(.initiatorSendsPacket)] + udpToResponder + [op(.deliverToResponder)] + deliverOne
            + [op(.responderSendsPacket)] + icmpToInitiator + [0, 0] + [op(.deliverToInitiator)] + deliverOne
            + [op(.initiatorSendsPacket)] + tcp6ToResponder + [op(.deliverToResponder)] + deliverOne
            + [op(.replay), 31, 0]
            + [op(.advanceTime), 3, 2] + [op(.deliverToResponder)] + deliver(4)))
        seeds.append(("handshake-from-scratch", [0x04, 1]
            + [op(.initiatorSendsPacket)] + udpToResponder
            + [op(.deliverToResponder)] + deliverOne + [op(.deliverToInitiator)] + deliverOne
            + [op(.deliverToResponder)] + deliver(2)))
        seeds.append(("responder-initiates", [0x04, 2]
            + [op(.responderSendsPacket)] + icmpToInitiator + [0, 0]
            + [op(.deliverToInitiator)] + deliverOne + [op(.deliverToResponder)] + deliverOne
            + [op(.deliverToInitiator)] + deliverOne))
        seeds.append(("tight-limits-rekey", [0x0F, 3]
            + Array(repeating: [op(.initiatorSendsPacket)] + udpToResponder + [op(.deliverToResponder)] + deliverOne,
                    count: 6).joined()
            + [op(.deliverToInitiator)] + deliver(4)
            + [op(.advanceTime), 3, 2] + [op(.deliverToResponder)] + deliver(4)))
        seeds.append(("mtu-padding", [0x35, 4]
            + [op(.responderSendsPacket)] + icmpToInitiator + [0, 0] + [op(.deliverToInitiator)] + deliverOne
            + [op(.responderSendsPacket)] + [0, 0xDC, 0x05, 1, 0, 1] + [0, 0]))
        seeds.append(("under-load-cookie-mac2", [0x00, 5]
            + [op(.toggleLoad), 1]
            + [op(.craftedToResponder), 0] + [UInt8](repeating: 0x11, count: 148) + [0, 0, 0]
            + [op(.craftedToResponder), 0] + [UInt8](repeating: 0x11, count: 148) + [0, 0, 1]))
        seeds.append(("under-load-real-handshake", [0x04, 6]
            + [op(.toggleLoad), 1] + [op(.initiatorSendsPacket)] + udpToResponder
            + [op(.deliverToResponder)] + deliverOne + [op(.deliverToInitiator)] + deliverOne
            + [op(.advanceTime), 2, 6] + [op(.deliverToResponder)] + deliver(2)
            + [op(.deliverToInitiator)] + deliverOne + [op(.deliverToResponder)] + deliver(2)))
        seeds.append(("timers", [0x05, 7]
            + [op(.reconfigure), 0, 2, 1, 0, 0] + [op(.advanceTime), 2, 30]
            + [op(.advanceTime), 4, 3] + [op(.wallClockJump), 0x00, 0x80] + [op(.advanceTime), 4, 250]))
        seeds.append(("reconfigure", [0x05, 8]
            + [op(.reconfigure), 2] + [op(.reconfigure), 3] + [op(.reconfigure), 4] + [op(.reconfigure), 4]
            + [op(.reconfigure), 5] + [op(.initiatorSendsPacket)] + udpToResponder
            + [op(.deliverToResponder)] + deliverOne + [op(.setDrainBufferSize), 1]
            + [op(.deliverToInitiator)] + deliverOne))
        // Real messages of every type, captured from a run, as raw datagrams and as mutation targets.
        for (name, message) in capturedMessages() {
            seeds.append(("raw-\(name)", [0x00, 9, op(.rawToResponder), UInt8(message.count & 0xFF),
                                          UInt8(message.count >> 8)] + message + [0]))
        }
        return seeds
    }

    /// One initiation, response, keepalive and data message from a real exchange, and a cookie reply.
    static func capturedMessages() -> [(String, [UInt8])] {
        let program: [UInt8] = [0x04, 10, op(.toggleLoad), 1]
            + [op(.craftedToResponder), 0] + [UInt8](repeating: 0x22, count: 148) + [0, 0, 0]
            + [op(.toggleLoad), 1]
            + [op(.initiatorSendsPacket)] + udpToResponder
            + [op(.deliverToResponder)] + deliverOne + [op(.deliverToInitiator)] + deliverOne
            + [op(.deliverToResponder)] + deliverOne + [op(.advanceTime), 3, 2]
        typealias Scenario = DatagramScenario<SwiftCryptoBackend<PortableKernelSet>>
        let scenario = program.withUnsafeBufferPointer { bytes -> Scenario in
            var input = FuzzInput(bytes)
            let scenario = Scenario(header: &input)
            scenario.run(&input)
            return scenario
        }
        var found: [(String, [UInt8])] = []
        let wanted: [(String, (Int) -> Bool, UInt8)] = [
            ("initiation", { $0 == 148 }, 1), ("response", { $0 == 92 }, 2), ("keepalive", { $0 == 32 }, 4),
            ("transport", { $0 > 32 }, 4),
        ]
        for (name, sizeMatches, type) in wanted {
            if let entry = scenario.history.first(where: { $0.bytes[0] == type && sizeMatches($0.bytes.count) }) {
                found.append((name, entry.bytes))
            }
        }
        if let reply = scenario.cookieReplies.first { found.append(("cookie-reply", reply)) }
        return found
    }
}
