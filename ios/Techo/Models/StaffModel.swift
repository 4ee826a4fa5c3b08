import Foundation

/// Staff mode: the issuer's lists fetched once (online), then every scan verified offline.
@MainActor
final class StaffModel: ObservableObject {
    @Published private(set) var lines: [String] = []
    @Published private(set) var valid = false
    private var verifier: Verifier?
    let env: AppEnvironment

    init(env: AppEnvironment) { self.env = env }

    func prepare() async {
        guard let service = env.service else { return }
        do {
            verifier = try await service.fetchVerifier(pinnedRootKey: try await service.rootKey())
        } catch {
            lines = [env.pick("失効情報を取得できません", "Cannot fetch the revocation lists"), error.localizedDescription]
        }
    }

    func scanned(_ text: String) {
        guard let verifier else { return }
        let now = Int64(Date().timeIntervalSince1970)
        do {
            let v = try verifier.verify(payload: Data(text.utf8), nowUnix: now, lang: env.lang)
            var out = [env.pick("◯ 有効な手帳です", "◯ VALID HANDBOOK")]
            if let g = v.guardian { out.append(g) }
            out.append([v.kind, v.fareClass].compactMap { $0 }.joined(separator: " ・ "))
            if let c = v.caregiver {
                out.append(c ? env.pick("介護者1名 割引可", "1 caregiver at the discount")
                             : env.pick("介護者割引なし", "no caregiver discount"))
            }
            if let l = v.linkage { out.append(l) }
            if !v.selfDeclared.isEmpty {
                out.append(env.pick("本人申告（発行元は未確認）：", "Self-declared (not checked by the issuer):"))
                out.append(contentsOf: v.selfDeclared)
            }
            lines = out
            valid = true
        } catch let TechoError.Rejected(_, detail) {
            lines = [env.pick("✕ 無効なコード", "✕ NOT VALID"), detail]
            valid = false
        } catch {
            lines = [env.pick("✕ 確認できません", "✕ CANNOT CHECK"), error.localizedDescription]
            valid = false
        }
    }
}
