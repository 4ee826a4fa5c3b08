import SwiftUI

/// Link with the Myna Portal: draws the core's flow (purpose, PIN, hold the card, progress,
/// result) and forwards taps. Every rule (tries, the last try, a second tap) is the core's.
struct LinkView: View {
    @EnvironmentObject private var env: AppEnvironment
    @StateObject var model: LinkModel
    @Environment(\.dismiss) private var dismiss

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 16) {
                switch model.step {
                case let .purpose(title, lines, items):
                    Text(title).font(.title2.bold())
                    ForEach(lines, id: \.self) { Text($0) }
                    Text(env.pick("受け取る項目：", "What is received:")).bold()
                    ForEach(items, id: \.self) { Text("・\($0)") }
                    Button(env.pick("同意して続ける", "Agree and continue")) { model.acceptPurpose() }
                        .buttonStyle(.borderedProminent)
                    Button(env.pick("やめる", "Stop"), role: .cancel) { model.cancel(); dismiss() }
                case let .enterPin(entered, length, triesLeft, lastTryConfirmed, notice):
                    Text(env.pick("利用者証明用電子証明書の暗証番号（数字4桁）", "The card's 4-digit PIN"))
                    if let notice { Text(notice).bold() }
                    if let triesLeft { Text(env.pick("残り \(triesLeft) 回", "\(triesLeft) tries left")) }
                    if lastTryConfirmed {
                        Text(env.pick("最後の1回です。間違えるとカードがロックされます", "This is the last try: a wrong PIN locks the card")).bold()
                    }
                    PinKeys(entered: Int(entered), length: Int(length), lang: env.lang,
                            press: model.press, delete: model.backspace)
                case let .confirmLastTry(message):
                    Text(message).bold()
                    Button(env.pick("確認しました：最後の1回を使う", "I checked: use the last try")) { model.confirmLastTry() }
                    Button(env.pick("やめる", "Stop"), role: .cancel) { model.cancel(); dismiss() }
                case let .holdCard(prompt):
                    Text(prompt).font(.title2)
                    Button(env.pick("暗証番号を直す", "Correct the PIN")) { model.backspace() }
                case let .working(_, text):
                    ProgressView(text)
                case let .linked(label, validUntil, changes):
                    Text("✔ \(label)").font(.title.bold())
                    if let validUntil { Text(env.pick("証明書の有効期限 \(validUntil)", "credentials until \(validUntil)")) }
                    if !changes.isEmpty {
                        Text(env.pick("マイナポータルの記録に合わせて直しました：", "Corrected to the Myna Portal's record:")).bold()
                        ForEach(changes, id: \.self) { Text($0) }
                    }
                    Button(env.pick("完了", "Done")) { dismiss() }
                case let .pending(label, reason, nextTryUnix):
                    Text(label).font(.title.bold())
                    Text(reason)
                    if let t = nextTryUnix {
                        Text(env.pick("次の確認 ", "next try ") + Date(timeIntervalSince1970: TimeInterval(t)).formatted())
                    }
                case let .blocked(message):
                    Text(message).bold()
                case let .failed(message, canRetry):
                    Text(message).bold()
                    if canRetry { Button(env.pick("もう一度", "Try again")) { model.tryAgain() } }
                case .cancelled:
                    EmptyView().onAppear { dismiss() }
                }
            }
            .padding()
        }
        .navigationTitle(env.pick("連携", "Link"))
        // Leaving the screen gives up what was prepared (this phone's new keys are deleted).
        .onDisappear { model.cancel() }
    }
}
