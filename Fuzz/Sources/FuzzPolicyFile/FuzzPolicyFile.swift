import ControlProtocol
import DataPlane
import FuzzSupport
import Portal

/// libFuzzer calls this once before the first input; it also serves `scripts/fuzz --write-seeds`.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    SeedWriter.runIfRequested(PolicyFileSeeds.make)
    return 0
}

/// The input is one or two policy files separated by a NUL byte (which JSON text cannot hold).
///
/// Each goes through `PolicyFile.parse`: an error must name the file; a parsed policy must be what its
/// validation promises (unique ids and tokens, references that exist, non-empty ids and tokens). The first
/// policy then runs a portal (`PortalRun`): every node connects and joins, every Client asks for every
/// Resource, every Gateway confirms, time moves; then the second is reloaded into it and the nodes connect
/// again. Nothing may trap, and everything the portal sends must round-trip through the wire encoding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let files = bytes.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
    guard let first = parseAndCheck(files[0]) else { return 0 }
    var run = PortalRun(policy: first)
    run.exercise()
    if files.count > 1, let second = parseAndCheck(files[1]) {
        run.reload(second)
        run.exercise()
    }
    return 0
}

func parseAndCheck(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> PolicyFile? {
    let policy: PolicyFile
    do throws(PolicyFileError) {
        policy = try PolicyFile.parse(bytes: bytes, fileName: "fuzz.json")
    } catch {
        fuzzCheck(error.fileName == "fuzz.json", "the error names \(error.fileName)")
        fuzzCheck(error.description.utf8.starts(with: "fuzz.json: ".utf8), "message \(error.description)")
        return nil
    }
    checkValid(policy)
    return policy
}

/// What `parse` promises of a policy it returns.
func checkValid(_ policy: PolicyFile) {
    fuzzCheck(!policy.adminToken.isEmpty, "empty admin token")
    for nodes in [policy.gateways, policy.clients] {
        fuzzCheck(Set(nodes.map(\.id)).count == nodes.count, "two nodes with one id")
        fuzzCheck(Set(nodes.map(\.token)).count == nodes.count, "two nodes of one role with one token")
        fuzzCheck(nodes.allSatisfy { !$0.id.isEmpty && !$0.token.isEmpty }, "an empty node id or token")
    }
    let gatewayIDs = Set(policy.gateways.map(\.id))
    let clientIDs = Set(policy.clients.map(\.id))
    let resourceIDs = Set(policy.resources.map(\.id))
    fuzzCheck(resourceIDs.count == policy.resources.count, "two Resources with one id")
    for resource in policy.resources {
        fuzzCheck(!resource.id.isEmpty, "a Resource with an empty id")
        fuzzCheck(resource.gatewayIDs.allSatisfy(gatewayIDs.contains), "Resource \(resource.id): unknown Gateway")
        let address = resource.resource.address
        fuzzCheck(IPNetwork(address.address, prefixLength: address.prefixLength) == address,
                  "Resource \(resource.id): host bits set in \(address)")
    }
    fuzzCheck(policy.policies.allSatisfy { clientIDs.contains($0.clientID) && resourceIDs.contains($0.resourceID) },
              "a policy names an unknown Client or Resource")
    fuzzCheck(Set(policy.policies.map { [$0.clientID, $0.resourceID] }).count == policy.policies.count,
              "two policies for one Client and Resource")
}
