import SwiftUI

/// Link with the portal: 申請中 with its reason and next try, wrong PIN with the tries left, and
/// an explicit confirmation before the last try.
struct LinkView: View {
    @EnvironmentObject private var env: AppEnvironment
    @StateObject var model: LinkModel
    @Environment(\.dismiss) private var dismiss

    var body: some View {
        VStack(spacing: 20) {
            switch model.state {
            case .enterPin:
                Text(env.pick("利用者証明用電子証明書の暗証番号（数字4桁）", "The card's 4-digit PIN"))
                PinPad(pin: $model.pin) { model.pinEntered() }
            case .holdCard:
                Text(env.pick("カードを iPhone の上部にかざしてください", "Hold the card near the top of the iPhone")).font(.title2)
            case .reading:
                ProgressView(env.pick("読み取り中…", "Reading…"))
            case let .linked(label, validUntil):
                Text("✔ \(label)").font(.title.bold())
                if let validUntil { Text(env.pick("証明書の有効期限 ", "credentials until ") + validUntil) }
                Button(env.pick("完了", "Done")) { dismiss() }
            case let .pending(label, reason, nextTry):
                Text(label).font(.title.bold())
                if let reason { Text(reason) }
                if let nextTry { Text(env.pick("次の確認 ", "next try ") + nextTry.formatted()) }
            case let .wrongPin(_, message), let .cardProblem(message):
                Text(message)
                PinPad(pin: $model.pin) { model.pinEntered() }
            case let .confirmLastTry(message):
                Text(message).bold()
                Button(env.pick("確認しました：最後の1回を使う", "I checked: use the last try")) { model.confirmLastTry() }
                Button(env.pick("やめる", "Stop"), role: .cancel) { dismiss() }
            case let .blocked(message), let .failed(message):
                Text(message).bold()
            }
        }
        .padding()
        .navigationTitle(env.pick("連携", "Link"))
    }
}
