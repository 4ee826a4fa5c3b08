import Foundation

/// Staff mode: the issuer's lists refreshed when the mode opens (one small signed delta per list
/// from the lists saved last time, or everything) and checked against the root key shipped with
/// the app (`techo-root-key.txt`), then every scan checked offline. Without a connection the
/// saved lists are used (checked again by the core) and their age is shown. The lines to show
/// come from the core.
@MainActor
final class StaffModel: ObservableObject {
    @Published private(set) var lines: [String] = []
    @Published private(set) var valid: Bool?
    private var verifier: Verifier?
    let env: AppEnvironment

    init(env: AppEnvironment) { self.env = env }

    func prepare() async {
        guard let service = env.service, let root = env.rootKey else {
            lines = [env.pick("このアプリには発行元の鍵が設定されていません", "This app has no issuer key configured")]
            return
        }
        let file = env.walletDir.deletingLastPathComponent().appendingPathComponent("verifier-lists.cbor")
        let saved = try? Data(contentsOf: file)
        do {
            let fresh = try await service.refreshVerifier(pinnedRootKey: root, saved: saved)
            if let bytes = fresh.saved() {
                try? bytes.write(to: file, options: [.atomic, .completeFileProtectionUntilFirstUserAuthentication])
            }
            verifier = fresh
        } catch {
            guard let saved, let offline = try? Verifier.fromSaved(rootKey: root, saved: saved) else {
                lines = [env.pick("失効情報を取得できません", "Cannot fetch the revocation lists"), error.localizedDescription]
                return
            }
            verifier = offline
            let hours = offline.listsAgeSeconds(nowUnix: Int64(Date().timeIntervalSince1970)) / 3600
            lines = [env.pick("オフライン：\(hours)時間前の失効情報で確認します", "Offline: checking with revocation lists from \(hours) h ago"),
                     error.localizedDescription]
        }
    }

    /// A scanned code's bytes (see `QrScannerView`): checked, never thrown.
    func scanned(_ payload: Data) {
        guard let verifier else { return }
        let check = verifier.check(payload: payload, nowUnix: Int64(Date().timeIntervalSince1970), lang: env.lang)
        lines = check.lines
        valid = check.valid
    }
}
