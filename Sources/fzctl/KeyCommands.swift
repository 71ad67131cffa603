import ArgumentParser
import Crypto
import DataPlane

/// `fzctl genkey`: a new private key, exactly as `wg genkey` prints it.
struct GenKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genkey",
        abstract: "Print a new random, clamped X25519 private key in base64 (like `wg genkey`)."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        _ = try Runtime(global)
        FileOutput.standardOutput(SecureRandom.privateKey().raw.base64 + "\n")
    }
}

/// `fzctl pubkey`: reads a private key on stdin and prints its public key (like `wg pubkey`).
struct PubKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pubkey",
        abstract: "Read a base64 private key on stdin and print its public key (like `wg pubkey`)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Crypto backend for the scalar multiplication: auto, sodium, swift, ...")
    var crypto: String?

    func run() throws {
        let context = try Runtime(global)
        var input = ""
        while let line = readLine(strippingNewline: false) {
            input += line
            if input.count > 4096 { break }
        }
        let text = input.trimmingCharacters(in: " \t\r\n")
        guard !text.isEmpty else {
            throw FZCtlError.invalidInput("no private key on stdin; pipe one in, e.g. `fzctl genkey | fzctl pubkey`")
        }
        let key: Key32
        do {
            key = try Key32(base64: text)
        } catch {
            throw FZCtlError.invalidInput("stdin: \(error)")
        }
        let info = try CryptoSelection.resolve(crypto ?? "auto", logger: context.logger)
        FileOutput.standardOutput(publicKey(info.backend, PrivateKey(raw: key)).raw.base64 + "\n")
    }

    func publicKey<B: CryptoBackend>(_ backend: B.Type, _ key: PrivateKey) -> PublicKey {
        B.publicKey(for: key)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        // "\r\n" is a single Character, so each scalar is added on its own as well.
        var drop = Set(set)
        for scalar in set.unicodeScalars { drop.insert(Character(scalar)) }
        drop.insert("\r\n")
        var slice = Substring(self)
        while let first = slice.first, drop.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, drop.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
