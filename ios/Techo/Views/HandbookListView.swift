import SwiftUI

/// Home: the handbooks; tap one for the counter screen.
struct HandbookListView: View {
    @EnvironmentObject private var env: AppEnvironment
    @State private var handbooks: [HandbookSummary] = []
    @State private var counter = false

    var body: some View {
        NavigationStack {
            List {
                ForEach(handbooks, id: \.id) { h in
                    Button {
                        try? env.wallet.selectForCounter(handbookId: h.id)
                        counter = true
                    } label: {
                        VStack(alignment: .leading) {
                            Text("\(h.kindLabel) \(h.gradeLabel)").font(.title3.bold())
                            Text([h.fareClassLabel, h.linkageLabel, h.municipality].joined(separator: " ・ "))
                        }
                    }
                    .accessibilityLabel("\(h.kindLabel) \(h.gradeLabel), \(h.linkageLabel)")
                    if h.linkage.status != .linked {
                        NavigationLink(env.pick("マイナポータルと連携する", "Link with the portal")) {
                            LinkView(model: LinkModel(env: env, handbookId: h.id))
                        }
                    }
                }
                NavigationLink(env.pick("手帳を登録", "Register a handbook")) { RegisterView() }
                NavigationLink(env.pick("確認モード（事業者向け）", "Staff mode")) { StaffView(model: StaffModel(env: env)) }
                NavigationLink(env.pick("設定", "Settings")) { SettingsView() }
            }
            .navigationTitle(env.pick("手帳", "Handbooks"))
            .onAppear { handbooks = (try? env.wallet.handbooks(lang: env.lang)) ?? [] }
            .fullScreenCover(isPresented: $counter) { CounterScreen(model: CounterModel(env: env)) }
        }
    }
}

/// The in-app keypad for the card PIN (no system keyboard, no autofill).
struct PinPad: View {
    @Binding var pin: PinEntry
    let done: () -> Void

    var body: some View {
        VStack(spacing: 12) {
            Text(pin.masked.isEmpty ? "○○○○" : pin.masked).font(.largeTitle)
                .accessibilityLabel("\(pin.count) digits")
            LazyVGrid(columns: Array(repeating: GridItem(.flexible()), count: 3)) {
                ForEach(["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "✓"], id: \.self) { key in
                    Button(key) {
                        switch key {
                        case "⌫": pin.backspace()
                        case "✓": if pin.complete { done() }
                        default:
                            pin.press(Character(key))
                            if pin.complete { done() }
                        }
                    }
                    .font(.title)
                    .frame(maxWidth: .infinity, minHeight: 56)
                }
            }
        }
    }
}
