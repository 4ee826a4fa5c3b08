import SwiftUI

/// A booking site's request (a `techo://site` link opened on this iPhone): the site first, its
/// address to compare, what it asks, the order in full; then the keypad or the password field,
/// the card, and the site's reply. NOT COMPILED HERE (see docs/ios.md).
struct SiteView: View {
    @EnvironmentObject private var env: AppEnvironment
    @StateObject var model: SiteModel
    @Environment(\.dismiss) private var dismiss
    @Environment(\.openURL) private var openURL
    @State private var sendIdentity = false
    @State private var password = ""

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 16) {
                switch model.step {
                case let .working(text, _):
                    ProgressView(text)
                case let .consent(site, audience, asks, identityAsked, orderId, orderLines, orderTotalYen, handbook):
                    Text(site).font(.title.bold())
                    Text(audience).font(.title3)
                    Text(env.pick("このサイトで手続き中であることを確かめてください", "Check that this is the site you are using"))
                    if let orderId {
                        Text(env.pick("注文 \(orderId)", "Order \(orderId)")).bold()
                        ForEach(orderLines, id: \.label) { Text("\($0.label)　¥\($0.yen)") }
                        if let total = orderTotalYen { Text(env.pick("合計 ¥\(total)", "Total ¥\(total)")).font(.title3.bold()) }
                    } else {
                        Text(env.pick("提示する項目（\(handbook)）：", "What the site receives (\(handbook)):")).bold()
                        ForEach(asks, id: \.self) { Text("・\($0)") }
                    }
                    if identityAsked {
                        Toggle(env.pick("氏名・生年月日もカードから読み取って送る", "Also send my name and birth date, read from the card"),
                               isOn: $sendIdentity)
                    }
                    Button(env.pick("同意して送る", "Agree and send")) { model.accept(sendIdentity: sendIdentity) }
                        .buttonStyle(.borderedProminent)
                    Button(env.pick("送信しない", "Do not send"), role: .cancel) { model.decline(); dismiss() }
                case let .enterPin(entered, length, triesLeft, _, notice):
                    Text(env.pick("券面事項入力補助用の暗証番号（数字4桁）", "The card's 4-digit PIN (for the name and birth date)"))
                    if let notice { Text(notice).bold() }
                    if let triesLeft { Text(env.pick("残り \(triesLeft) 回", "\(triesLeft) tries left")) }
                    PinKeys(entered: Int(entered), length: Int(length), lang: env.lang, press: model.press, delete: model.backspace)
                case let .enterPassword(triesLeft, _, notice):
                    Text(env.pick("署名用電子証明書のパスワード（英大文字・数字 6〜16文字）", "The signing password (6–16 letters and digits)"))
                    if let notice { Text(notice).bold() }
                    if let triesLeft { Text(env.pick("残り \(triesLeft) 回", "\(triesLeft) tries left")) }
                    SecureField(env.pick("パスワード", "Password"), text: $password)
                        .textInputAutocapitalization(.characters)
                        .autocorrectionDisabled()
                    Button(env.pick("次へ", "Next")) {
                        let typed = password
                        password = ""
                        model.setPassword(typed)
                    }
                case let .confirmLastTry(message):
                    Text(message).bold()
                    Button(env.pick("確認しました：最後の1回を使う", "I checked: use the last try")) { model.confirmLastTry() }
                case let .holdCard(prompt, _):
                    Text(prompt).font(.title2)
                    Button(env.pick("入力し直す", "Enter it again")) { model.backspace() }
                case let .done(accepted, message, redirectUri):
                    Text(accepted ? "◯" : "✕").font(.largeTitle.bold())
                    Text(message).font(.title2.bold())
                    if let uri = redirectUri, let url = URL(string: uri) {
                        Button(env.pick("サイトに戻る", "Back to the site")) { openURL(url); dismiss() }
                    }
                    Button(env.pick("閉じる", "Close")) { dismiss() }
                case let .blocked(message):
                    Text(message).bold()
                case let .failed(message, canRetry):
                    Text(message).bold()
                    if canRetry { Button(env.pick("もう一度", "Try again")) { model.tryAgain() } }
                    Button(env.pick("閉じる", "Close")) { dismiss() }
                case .cancelled:
                    EmptyView().onAppear { dismiss() }
                }
            }
            .padding()
        }
        .navigationTitle(env.pick("サイトへの提示", "Answer a site"))
        .task { await model.open() }
        // Leaving before the answer went declines: nothing is sent.
        .onDisappear { model.decline() }
    }
}

/// One handbook's consent ledger: the issuer's standing consent (withdraw = unlink), then every
/// site that received an answer.
struct LedgerView: View {
    @EnvironmentObject private var env: AppEnvironment
    let handbookId: String
    @State private var ledger: ConsentLedger?
    @State private var message: String?

    var body: some View {
        List {
            if let message { Text(message) }
            Section(env.pick("発行元（連携）", "The issuer (linkage)")) {
                if let issuer = ledger?.issuer {
                    Text(issuer.recipient)
                    Text(env.pick("同意した日時 ", "Since ") + Date(timeIntervalSince1970: TimeInterval(issuer.sinceUnix)).formatted())
                    if let until = issuer.until { Text(env.pick("同意の終わり \(until)", "Consent ends \(until)")) }
                    Text(issuer.items.joined(separator: env.pick("、", ", ")))
                    Button(env.pick("連携の同意を取り消す", "Withdraw consent (unlink)"), role: .destructive) {
                        Task { await withdraw() }
                    }
                } else {
                    Text(env.pick("連携の同意はありません", "No linkage consent"))
                }
            }
            Section(env.pick("提示したサイト", "Sites that received an answer")) {
                ForEach(Array((ledger?.sites ?? []).enumerated()), id: \.offset) { _, s in
                    VStack(alignment: .leading) {
                        Text("\(s.accepted ? "◯" : "✕") \(s.site)").bold()
                        Text("\(s.audience) ・ \(Date(timeIntervalSince1970: TimeInterval(s.atUnix)).formatted())")
                        Text(s.items.joined(separator: env.pick("、", ", ")))
                    }
                }
            }
        }
        .navigationTitle(env.pick("同意の記録", "Consent ledger"))
        .onAppear(perform: reload)
    }

    private func reload() { ledger = try? env.wallet.consentLedger(handbookId: handbookId, lang: env.lang) }

    private func withdraw() async {
        guard let service = env.service else { return }
        do {
            message = try await env.wallet.unlink(service: service, handbookId: handbookId, lang: env.lang).label
        } catch {
            message = error.localizedDescription
        }
        reload()
    }
}
