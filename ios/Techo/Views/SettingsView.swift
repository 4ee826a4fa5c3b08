import SwiftUI

/// Settings: each handbook's linkage, withdrawing consent (the server revokes and deletes), and
/// removing a returned handbook.
struct SettingsView: View {
    @EnvironmentObject private var env: AppEnvironment
    @State private var handbooks: [HandbookSummary] = []
    @State private var message: String?

    var body: some View {
        List {
            if let message { Text(message) }
            NavigationLink(env.pick("支援の情報（本人申告）", "Support profile (self-declared)")) { ProfileView() }
            ForEach(handbooks, id: \.id) { h in
                Section("\(h.kindLabel) \(h.gradeLabel)") {
                    Text(h.linkage.label + (h.linkage.validUntil.map { " ・ ~\($0)" } ?? ""))
                    if h.linkage.status == .linked || h.linkage.status == .pending {
                        Button(env.pick("連携の同意を取り消す", "Withdraw consent (unlink)"), role: .destructive) {
                            Task { await unlink(h.id) }
                        }
                    }
                    NavigationLink(env.pick("手帳のページ画像", "Handbook page images")) {
                        PagesView(handbookId: h.id)
                    }
                    NavigationLink(env.pick("同意の記録（誰に何を提示したか）", "Consent ledger (who received what)")) {
                        LedgerView(handbookId: h.id)
                    }
                    Button(env.pick("この手帳を削除", "Remove this handbook"), role: .destructive) {
                        try? env.wallet.withdraw(handbookId: h.id)
                        reload()
                    }
                }
            }
        }
        .onAppear(perform: reload)
        .navigationTitle(env.pick("設定", "Settings"))
    }

    private func reload() { handbooks = (try? env.wallet.handbooks(lang: env.lang)) ?? [] }

    private func unlink(_ id: String) async {
        guard let service = env.service else { return }
        do {
            message = try await env.wallet.unlink(service: service, handbookId: id, lang: env.lang).label
        } catch {
            message = error.localizedDescription
        }
        reload()
    }
}
