import SwiftUI

/// Home: the handbooks; tap one for the counter screen.
struct HandbookListView: View {
    @EnvironmentObject private var env: AppEnvironment
    @State private var handbooks: [HandbookSummary] = []
    @State private var counter = false
    /// "The store was rebuilt from its second copy": said once per open, until read.
    @State private var recovery: String?

    var body: some View {
        NavigationStack {
            List {
                if let recovery {
                    VStack(alignment: .leading) {
                        Text(recovery).bold()
                        Button(env.pick("確認しました", "Understood")) { self.recovery = nil }
                    }
                    .listRowBackground(Color.yellow.opacity(0.25))
                }
                ForEach(handbooks, id: \.id) { h in
                    Button {
                        try? env.wallet.selectForCounter(handbookId: h.id)
                        counter = true
                    } label: {
                        VStack(alignment: .leading) {
                            Text("\(h.kindLabel) \(h.gradeLabel)").font(.title3.bold())
                            Text(([h.fareClassLabel, h.linkageLabel, h.municipality] + h.portalChanges).joined(separator: " ・ "))
                            if let notice = h.linkage.notice {
                                Text("⚠ " + notice).font(.callout)
                            }
                        }
                    }
                    .accessibilityLabel("\(h.kindLabel) \(h.gradeLabel), \(h.linkageLabel)\(h.linkage.notice.map { ", " + $0 } ?? "")")
                    if h.linkage.status != .linked {
                        NavigationLink(env.pick("マイナポータルと連携する", "Link with the portal")) {
                            LinkView(model: LinkModel(env: env, handbookId: h.id))
                        }
                    }
                }
                NavigationLink(env.pick("手帳を登録", "Register a handbook")) { RegisterView() }
                NavigationLink(env.pick("使える場所", "Where to use it")) { PlacesView() }
                NavigationLink(env.pick("クーポン", "Coupons")) { CouponsView() }
                NavigationLink(env.pick("確認モード（事業者向け）", "Staff mode")) { StaffView(model: StaffModel(env: env)) }
                NavigationLink(env.pick("設定", "Settings")) { SettingsView() }
            }
            .navigationTitle(env.pick("手帳", "Handbooks"))
            .onAppear {
                handbooks = (try? env.wallet.handbooks(lang: env.lang)) ?? []
                if !env.recoveryRead {
                    env.recoveryRead = true
                    recovery = env.wallet.storeRecovery(lang: env.lang)
                }
            }
            // The keep-linked pass when the list appears, then a wait on any 申請中 linkage
            // while the list is in front (cancelled when it goes).
            .task {
                if await KeepLinked.run(env: env) != nil {
                    handbooks = (try? env.wallet.handbooks(lang: env.lang)) ?? []
                }
                if handbooks.contains(where: { $0.linkage.status != .unlinked }) { KeepLinked.askToNotify() }
                await KeepLinked.waitWhilePending(env: env) {
                    handbooks = (try? env.wallet.handbooks(lang: env.lang)) ?? []
                }
            }
            .fullScreenCover(isPresented: $counter) { CounterScreen(env: env) }
        }
    }
}

/// The in-app keypad for a card PIN (no system keyboard, no autofill). The digits go straight to
/// the core; this view only shows how many are entered.
struct PinKeys: View {
    let entered: Int
    let length: Int
    let lang: Language
    let press: (UInt8) -> Void
    let delete: () -> Void

    var body: some View {
        VStack(spacing: 12) {
            Text(String(repeating: "●", count: entered) + String(repeating: "○", count: max(0, length - entered)))
                .font(.largeTitle)
                .accessibilityLabel(lang == .japanese ? "暗証番号 \(length) 桁中 \(entered) 桁入力済み" : "\(entered) of \(length) digits entered")
            LazyVGrid(columns: Array(repeating: GridItem(.flexible()), count: 3)) {
                ForEach(["1", "2", "3", "4", "5", "6", "7", "8", "9", "", "0", "⌫"], id: \.self) { key in
                    if key.isEmpty {
                        Color.clear.frame(minHeight: 56)
                    } else {
                        Button(key) {
                            if key == "⌫" { delete() } else if let d = UInt8(key) { press(d) }
                        }
                        .font(.title)
                        .frame(maxWidth: .infinity, minHeight: 56)
                        .accessibilityLabel(key == "⌫" ? (lang == .japanese ? "1文字消す" : "delete") : key)
                    }
                }
            }
        }
    }
}
