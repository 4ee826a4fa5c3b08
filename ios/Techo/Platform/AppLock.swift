import LocalAuthentication
import SwiftUI

/// The app lock: Face ID / Touch ID or the passcode before anything is shown, and again when the
/// app comes back after more than a minute in the background (the Android shell's `LockPolicy`).
/// The Secure Enclave keys ask again on their own when they sign.
struct LockGate<Content: View>: View {
    @EnvironmentObject private var env: AppEnvironment
    @Environment(\.scenePhase) private var scenePhase
    @State private var unlocked = false
    @State private var problem: String?
    @State private var backgroundSince: Date?
    @ViewBuilder let content: () -> Content
    private let relockAfter: TimeInterval = 60

    var body: some View {
        Group {
            if unlocked {
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
                backgroundSince = Date()
            case .active:
                if let since = backgroundSince, Date().timeIntervalSince(since) > relockAfter {
                    unlocked = false
                }
                backgroundSince = nil
            default:
                break
            }
        }
    }

    private func unlock() {
        let context = LAContext()
        var error: NSError?
        guard context.canEvaluatePolicy(.deviceOwnerAuthentication, error: &error) else {
            problem = env.pick("画面ロックを設定してください", "Set a passcode first")
            return
        }
        context.evaluatePolicy(.deviceOwnerAuthentication,
                               localizedReason: env.pick("手帳を表示します", "to show your handbooks")) { ok, err in
            DispatchQueue.main.async {
                unlocked = ok
                problem = ok ? nil : err?.localizedDescription
            }
        }
    }
}
