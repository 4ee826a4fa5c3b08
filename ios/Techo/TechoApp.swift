// The Techo iPhone app: thin SwiftUI over the generated bindings (techo_ffi.swift, which
// scripts/bindings-swift writes to target/bindings/swift; add it to this target). Every decision is in the Rust core; this draws, holds keys in
// the Secure Enclave and passes APDUs. NOT COMPILED HERE: there is no Swift toolchain where the
// project's CI runs (see docs/ios.md).
import SwiftUI

@main
struct TechoApp: App {
    @StateObject private var env = AppEnvironment()

    var body: some Scene {
        WindowGroup {
            LockGate {
                HandbookListView()
            }
            .environmentObject(env)
        }
    }
}

/// The one wallet of the process (the store is locked while open) and the issuer's address from
/// `techo-server.json` in the bundle: `{"server": "https://…", "ca_pem": "…"}`.
@MainActor
final class AppEnvironment: ObservableObject {
    let wallet: Wallet
    let service: TechoService?
    let lang: Language = Locale.current.language.languageCode?.identifier == "ja" ? .japanese : .english

    init() {
        let dir = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
            .appendingPathComponent("wallet", isDirectory: true)
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        do {
            wallet = try Wallet.open(
                dataDir: dir.path,
                keys: KeychainDataKeyProvider(),
                deviceKeys: SecureEnclaveKeyStore(),
                clock: SystemWalletClock()
            )
        } catch {
            // The store could not be opened (damaged, or its key is gone): nothing is deleted;
            // the holder sees the core's message and can contact support.
            fatalError("Techo cannot open its store: \(error.localizedDescription)")
        }
        if let url = Bundle.main.url(forResource: "techo-server", withExtension: "json"),
           let data = try? Data(contentsOf: url),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: String],
           let server = json["server"], let ca = json["ca_pem"] {
            service = try? TechoService(serverUrl: server, rootCaPem: ca)
        } else {
            service = nil
        }
    }

    func pick(_ ja: String, _ en: String) -> String { lang == .japanese ? ja : en }
}
