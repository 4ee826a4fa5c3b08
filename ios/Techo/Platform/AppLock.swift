import SwiftUI

/// The app lock's gate: Face ID / Touch ID or the passcode before anything is shown. When to ask
/// again (after more than a minute in the background, never between the app's own screens) is
/// the core's `AppLock`, fed with the scene's phases. A cancel waits for the holder's tap.
struct LockGate<Content: View>: View {
    @EnvironmentObject private var env: AppEnvironment
    @Environment(\.scenePhase) private var scenePhase
    @State private var unlocked = false
    @State private var problem: String?
    @ViewBuilder let content: () -> Content

    var body: some View {
        Group {
            if let openProblem = env.openProblem {
                KeyGoneView(detail: openProblem)
            } else if unlocked {
                content()
            } else {
                VStack(spacing: 24) {
                    Text("Techo").font(.largeTitle.bold())
                    if let problem { Text(problem).multilineTextAlignment(.center) }
                    Button(env.pick("ロックを解除", "Unlock")) { unlock() }
                        .buttonStyle(.borderedProminent)
                }
                .padding()
                .onAppear(perform: unlock)
            }
        }
        .onChange(of: scenePhase) { _, phase in
            switch phase {
            case .background:
                env.lock.screenStopped(nowMs: AppEnvironment.uptimeMs())
            case .active:
                env.lock.screenStarted(nowMs: AppEnvironment.uptimeMs())
                unlocked = !env.lock.needsUnlock()
            default:
                break
            }
        }
    }

    private func unlock() {
        env.unlock(reason: env.pick("手帳を表示します", "to show your handbooks")) { ok in
            unlocked = ok
            problem = ok ? nil : env.pick("ロックを解除できませんでした。画面ロックが設定されているか確認してください",
                                          "Not unlocked: check that a passcode is set")
        }
    }
}

/// This phone cannot open the wallet it has (restored or moved without its keychain key).
struct KeyGoneView: View {
    @EnvironmentObject private var env: AppEnvironment
    let detail: String
    @State private var done = false

    var body: some View {
        VStack(spacing: 20) {
            Text(env.pick("この端末では手帳のデータを開けません", "This phone cannot open the wallet")).font(.title2.bold())
            Text(env.pick("データを消去して、手帳を登録し直し、マイナンバーカードで連携し直してください。",
                          "Erase it, register your handbooks again and link them again with your My Number card."))
            Text(detail).font(.footnote)
            Button(env.pick("データを消去してやり直す", "Erase and start again"), role: .destructive) {
                try? resetWallet(dataDir: env.walletDir.path)
                done = true
            }
            if done { Text(env.pick("アプリを開き直してください", "Open the app again")) }
        }
        .padding()
    }
}
