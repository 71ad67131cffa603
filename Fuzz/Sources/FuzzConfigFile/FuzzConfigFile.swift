import DataPlane
import FuzzSupport
import WireGuardConfig

/// libFuzzer calls this once before the first input; it also serves `scripts/fuzz --write-seeds`.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    SeedWriter.runIfRequested(ConfigSeeds.make)
    return 0
}

/// The input is a wg-quick config file, parsed as the bytes `fzctl up` reads and as a String. A parsed
/// file must be self-consistent and survive the trip `wg setconf` makes (config -> UAPI `set` request ->
/// text -> parsed request); an error must name a line of the file. Valid UTF-8 must give the same result
/// both ways.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let fromBytes = Result { () throws(ConfigError) in
        try WireGuardConfigFile.parse(bytes: bytes, fileName: "fuzz.conf")
    }
    check(fromBytes, lineCount: lineCount(bytes))
    let text = String(decoding: bytes, as: UTF8.self)
    let fromText = Result { () throws(ConfigError) in try WireGuardConfigFile.parse(text, fileName: "fuzz.conf") }
    check(fromText, lineCount: lineCount(text.utf8))
    if text.utf8.elementsEqual(bytes) {
        fuzzCheck(fromBytes == fromText, "bytes and text parse differently: \(fromBytes) vs \(fromText)")
    }
    return 0
}

func lineCount(_ bytes: some Collection<UInt8>) -> Int {
    bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
}

func check(_ result: Result<WireGuardConfigFile, ConfigError>, lineCount: Int) {
    switch result {
    case .success(let config):
        check(config, lineCount: lineCount)
    case .failure(let error):
        fuzzCheck(error.location.fileName == "fuzz.conf", "error names another file")
        fuzzCheck(error.location.line >= 1 && error.location.line <= max(1, lineCount),
                  "error at line \(error.location.line) of \(lineCount)")
        // Bytes, not Characters: a combining mark in the echoed text joins the space before it.
        fuzzCheck(error.description.utf8.starts(with: "fuzz.conf:\(error.location.line): ".utf8),
                  "message \(error.description)")
    }
}

/// Where hostname endpoints "resolve" to; the parser itself does no DNS.
let resolvedAddress = IPAddress.v4(IPv4Address(192, 0, 2, 99))

func check(_ config: WireGuardConfigFile, lineCount: Int) {
    fuzzCheck(config.interface.line >= 1 && config.interface.line <= lineCount, "interface line")
    fuzzCheck(Set(config.peers.map(\.publicKey)).count == config.peers.count, "two peers with one key")
    fuzzCheck(config.peers.allSatisfy { $0.line >= 1 && $0.line <= lineCount }, "peer line")
    let key = config.interface.privateKey.raw
    fuzzCheck((try? Key32(base64: key.base64)) == key, "private key base64 does not round trip")
    for address in config.interface.addresses {
        fuzzCheck((try? InterfaceAddress(parsing: address.description)) == address, "address \(address)")
    }
    for peer in config.peers {
        fuzzCheck((try? Key32(base64: peer.publicKey.raw.base64)) == peer.publicKey.raw, "public key base64")
        for network in peer.allowedIPs {
            fuzzCheck(network.contains(network.address), "\(network) does not contain its own address")
            fuzzCheck((try? IPAddressText.parseNetwork(IPAddressText.format(network))) == network,
                      "allowed IP \(network) does not round trip")
        }
        if let endpoint = peer.endpoint {
            fuzzCheck((try? ConfigEndpoint(parsing: endpoint.description)) == endpoint, "endpoint \(endpoint)")
        }
    }

    // What `fzctl up` and `wg setconf` do with the file: the UAPI request, on the wire and back.
    let request = config.uapiSetRequest { (_: String, port: UInt16) throws(Never) -> Endpoint in
        Endpoint(address: resolvedAddress, port: port)
    }
    fuzzCheck(request.peers.count == config.peers.count, "one UAPI peer per [Peer]")
    let wire = Array(request.serialized.utf8)
    do throws(UAPIError) {
        let parsed = try UAPIRequest.parse(wire)
        // An all-zero key means "no key" on the wire, as in `wg`.
        fuzzCheck(parsed == .set(normalized(request)),
                  "the UAPI request does not parse back: \(request.serialized.debugDescription)")
    } catch {
        fuzzCheck(false, "the UAPI request of a valid config is refused: \(error)")
    }
    var reader = UAPIRequestReader()
    reader.append(contentsOf: wire)
    fuzzCheck((try? reader.nextRequest()) == .set(normalized(request)), "the reader frames the request differently")
}

/// `request` as it reads back: all-zero private and preshared keys become nil.
func normalized(_ request: UAPISetRequest) -> UAPISetRequest {
    var result = request
    result.deviceOperations = request.deviceOperations.map { operation in
        if case .privateKey(let key?) = operation, key.raw == Key32(bytes: .zero) { return .privateKey(nil) }
        return operation
    }
    for index in result.peers.indices {
        result.peers[index].operations = result.peers[index].operations.map { operation in
            if case .presharedKey(let key?) = operation, key.raw == Key32(bytes: .zero) { return .presharedKey(nil) }
            return operation
        }
    }
    return result
}
