// The Techo iPhone app: thin SwiftUI over the generated bindings (techo_ffi.swift, which
// scripts/bindings-swift writes to target/bindings/swift; add it to this target). Every decision is in the Rust core; this draws, holds keys in
// the Secure Enclave and passes APDUs. NOT COMPILED HERE: there is no Swift toolchain where the
// project's CI runs (see docs/ios.md).
import LocalAuthentication
import SwiftUI

@main
struct TechoApp: App {
    @StateObject private var env: AppEnvironment
    /// A booking site's `techo://site` link opened on this iPhone, answered behind the app lock.
    @State private var siteLink: SiteLink?

    init() {
        let env = AppEnvironment()
        _env = StateObject(wrappedValue: env)
        // Before launch ends, as BGTaskScheduler requires.
        KeepLinked.register(env: env)
    }

    var body: some Scene {
        WindowGroup {
            LockGate {
                HandbookListView()
                    .sheet(item: $siteLink) { link in
                        NavigationStack { SiteView(model: SiteModel(env: env, link: link.url)) }
                    }
            }
            .environmentObject(env)
            .onOpenURL { url in
                if url.scheme == "techo", url.host == "site" { siteLink = SiteLink(url: url.absoluteString) }
            }
        }
    }
}

/// A site link waiting to be answered.
struct SiteLink: Identifiable {
    let url: String
    var id: String { url }
}

/// The one wallet of the process (the store is locked while open), the issuer's address from
/// `techo-server.json` in the bundle (`{"server": "https://…", "ca_pem": "…"}`), the issuer root
/// key shipped with the app (`techo-root-key.txt`, pinned) and the app lock's timing (the core's
/// `AppLock`).
@MainActor
final class AppEnvironment: ObservableObject {
    let wallet: Wallet!
    /// Why the wallet could not be opened (a phone restored without its keychain key): shown,
    /// with a fresh start, instead of crashing.
    let openProblem: String?
    let service: TechoService?
    let rootKey: Data?
    let lock = AppLock()
    /// The store-recovery notice was shown on this open.
    var recoveryRead = false
    let lang: Language = Locale.current.language.languageCode?.identifier == "ja" ? .japanese : .english
    let walletDir: URL

    init() {
        walletDir = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
            .appendingPathComponent("wallet", isDirectory: true)
        try? FileManager.default.createDirectory(at: walletDir, withIntermediateDirectories: true)
        // The store's key is a Keychain item for this device only, and the device keys live in
        // the Secure Enclave: a backup of the store restored elsewhere could never be opened.
        // Kept out of iCloud and computer backups; a phone restored anyway gets KeyGoneView
        // (a fresh start), never a crash.
        AppEnvironment.excludeFromBackup(walletDir)
        do {
            wallet = try Wallet.open(dataDir: walletDir.path, keys: KeychainDataKeyProvider(),
                                     deviceKeys: SecureEnclaveKeyStore(), clock: SystemWalletClock())
            openProblem = nil
        } catch {
            wallet = nil
            openProblem = error.localizedDescription
        }
        if let url = Bundle.main.url(forResource: "techo-server", withExtension: "json"),
           let data = try? Data(contentsOf: url),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: String],
           let server = json["server"], let ca = json["ca_pem"] {
            service = try? TechoService(serverUrl: server, rootCaPem: ca)
        } else {
            service = nil
        }
        if let url = Bundle.main.url(forResource: "techo-root-key", withExtension: "txt"),
           let hex = try? String(contentsOf: url).trimmingCharacters(in: .whitespacesAndNewlines) {
            rootKey = Data(stride(from: 0, to: hex.count, by: 2).compactMap { i -> UInt8? in
                let a = hex.index(hex.startIndex, offsetBy: i)
                return UInt8(hex[a..<hex.index(a, offsetBy: 2, limitedBy: hex.endIndex)!], radix: 16)
            })
        } else {
            rootKey = nil
        }
    }

    func pick(_ ja: String, _ en: String) -> String { lang == .japanese ? ja : en }

    /// Staff mode's saved lists and directory, beside the wallet folder (also not backed up).
    func staffFile(_ name: String) -> URL {
        walletDir.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Marks a file or folder so iCloud and computer backups skip it.
    static func excludeFromBackup(_ url: URL) {
        var url = url
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try? url.setResourceValues(values)
    }

    /// Milliseconds that never go back, for the app lock's timing.
    static func uptimeMs() -> UInt64 { UInt64(ProcessInfo.processInfo.systemUptime * 1000) }

    /// Face ID / Touch ID or the passcode; `done(true)` once the holder passed.
    func unlock(reason: String, done: @escaping (Bool) -> Void) {
        let context = LAContext()
        var error: NSError?
        guard context.canEvaluatePolicy(.deviceOwnerAuthentication, error: &error) else {
            done(false)
            return
        }
        context.evaluatePolicy(.deviceOwnerAuthentication, localizedReason: reason) { ok, _ in
            DispatchQueue.main.async {
                if ok { self.lock.unlocked() }
                done(ok)
            }
        }
    }
}
