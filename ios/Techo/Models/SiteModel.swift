import Foundation

/// Answering a booking site: draws the core's `SiteAnswer` step by step (the site named first,
/// what it asks, consent, the PIN or the signing password, the card, the site's own reply) and
/// forwards the holder's choices and the card. Every rule (tries, the last try, a second tap,
/// what is sent) is the core's. NOT COMPILED HERE (see docs/ios.md).
@MainActor
final class SiteModel: ObservableObject {
    @Published private(set) var step: SiteStep
    private let answer: SiteAnswer?
    private var reader: CardReaderSession?
    private var busy = false
    let env: AppEnvironment

    init(env: AppEnvironment, link: String) {
        self.env = env
        if let wallet = env.wallet,
           let answer = try? SiteAnswer(wallet: wallet, link: link, trustedCaPem: nil, lang: env.lang, handbookId: nil) {
            self.answer = answer
            step = answer.step()
        } else {
            answer = nil
            step = .failed(message: env.pick("このリンクには答えられません", "This link cannot be answered"), canRetry: false)
        }
    }

    /// Fetches the site's request (network: off the main actor).
    func open() async {
        guard let answer else { return }
        show(await answer.open())
    }

    func accept(sendIdentity: Bool) { show(answer?.accept(sendIdentity: sendIdentity)) }
    func decline() { show(answer?.decline()) }
    func press(_ digit: UInt8) { show(answer?.pressDigit(digit: digit)) }
    func backspace() { show(answer?.backspace()) }
    func setPassword(_ typed: String) { show(answer?.setPassword(typed: typed)) }
    func confirmLastTry() { show(answer?.confirmLastTry()) }
    func tryAgain() { show(answer?.tryAgain()) }

    private func show(_ next: SiteStep?) {
        guard let next else { return }
        step = next
        switch next {
        case .holdCard: listen()
        case let .working(_, needsSend) where needsSend: send()
        default: break
        }
    }

    private func send() {
        guard let answer, !busy else { return }
        busy = true
        Task {
            let next = await answer.send()
            self.busy = false
            self.show(next)
        }
    }

    /// CoreNFC's sheet while the flow waits for the card; closed without a card, the core wipes
    /// the PIN or password and asks again.
    private func listen() {
        guard let answer, reader == nil else { return }
        reader = CardReaderSession(
            prompt: env.pick("カードを iPhone の上部にかざしてください", "Hold the card near the top of the iPhone"),
            onCard: { [weak self] card in
                let result = await answer.cardPresented(card: card)
                await MainActor.run {
                    self?.reader = nil
                    self?.step = result
                }
                if case let .done(accepted, _, _) = result { return (accepted, "") }
                return (false, "")
            },
            onClosed: { [weak self] in
                self?.reader = nil
                self?.show(answer.readerClosed())
            })
        reader?.begin()
    }
}
