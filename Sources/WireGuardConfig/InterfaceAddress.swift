import DataPlane

/// An address assigned to the tunnel interface with its prefix, e.g. `10.0.0.2/24`, host bits kept.
///
/// Unlike an allowed-IPs route (`IPNetwork`, always masked), wg-quick's `Address` names the interface's
/// own address *and* the on-link network, so `10.0.0.2/24` must not collapse to `10.0.0.0/24`.
public struct InterfaceAddress: Hashable, Sendable, CustomStringConvertible {
    /// The interface's own address.
    public var address: IPAddress
    /// The length of the on-link network around `address`.
    public var prefixLength: Int

    /// An interface address; returns nil if `prefixLength` exceeds the family's width.
    public init?(_ address: IPAddress, prefixLength: Int) {
        guard prefixLength >= 0, prefixLength <= address.bitWidth else { return nil }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `10.0.0.2/24`, `fd00::2/64`, or a bare address (a /32 or /128 host).
    public init(parsing text: some StringProtocol) throws(AddressParseError) {
        let (address, length) = try IPAddressText.parsePrefix(text)
        self.address = address
        self.prefixLength = length
    }

    /// The on-link network, host bits cleared: the route wg-quick adds for this address.
    public var network: IPNetwork {
        IPNetwork(address, prefixLength: prefixLength)!
    }

    /// `10.0.0.2/24` or `fd00::2/64`.
    public var description: String {
        "\(IPAddressText.format(address))/\(prefixLength)"
    }
}
