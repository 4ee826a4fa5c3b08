import Foundation

/// Staff mode: the issuer's lists fetched once (online) and checked against the root key shipped
/// with the app (`techo-root-key.txt`), then every scan checked offline. The lines to show come
/// from the core.
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
        do {
            verifier = try await service.fetchVerifier(pinnedRootKey: root)
        } catch {
            lines = [env.pick("失効情報を取得できません", "Cannot fetch the revocation lists"), error.localizedDescription]
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
