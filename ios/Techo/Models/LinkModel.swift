import Foundation

/// The link screen: draws the core's `LinkFlow` step by step and forwards key presses and the
/// card. The PIN never leaves the core; a second tap of the card is ignored by the flow. When the
/// flow says `working(progress: .starting)` the model calls `prepare()` (keys, server session,
/// portal challenge) before opening the NFC session, so the 60 s session is the card's alone.
@MainActor
final class LinkModel: ObservableObject {
    @Published private(set) var step: LinkStep
    private let flow: LinkFlow?
    private var reader: CardReaderSession?
    private var preparing = false
    let env: AppEnvironment

    init(env: AppEnvironment, handbookId: HandbookId) {
        self.env = env
        if let service = env.service, let flow = try? LinkFlow(wallet: env.wallet, service: service,
                                                              handbookId: handbookId, lang: env.lang, onBehalfOf: nil) {
            self.flow = flow
            step = flow.step()
        } else {
            flow = nil
            step = .failed(message: env.pick("このアプリには連携先が設定されていません", "This app has no server to link with"),
                           canRetry: false)
        }
    }

    func acceptPurpose() { show(flow?.acceptPurpose()) }
    func cancel() { show(flow?.cancel()) }
    func press(_ digit: UInt8) { show(flow?.pressDigit(digit: digit)) }
    func backspace() { show(flow?.backspace()) }
    func confirmLastTry() { show(flow?.confirmLastTry()) }
    func tryAgain() { show(flow?.tryAgain()) }

    private func show(_ next: LinkStep?) {
        guard let next else { return }
        step = next
        if case .holdCard = next { listen() }
        if case .working(progress: .starting, text: _) = next { prepare() }
    }

    private func prepare() {
        guard let flow, !preparing else { return }
        preparing = true
        Task {
            let next = await flow.prepare()
            await MainActor.run {
                self.preparing = false
                self.show(next)
            }
        }
    }

    /// Core NFC's reader session, only while the flow waits for the card. A sheet closed without
    /// a card (cancelled, timed out) tells the core, which wipes the PIN and shows the keypad.
    private func listen() {
        guard let flow, reader == nil else { return }
        reader = CardReaderSession(
            prompt: env.pick("カードを iPhone の上部にかざしてください", "Hold the card near the top of the iPhone"),
            onCard: { [weak self] card in
                let result = await flow.cardPresented(card: card)
                await MainActor.run {
                    self?.reader = nil
                    self?.step = result
                }
                if case .linked = result { return (true, "") }
                return (false, "")
            },
            onClosed: { [weak self] in
                self?.reader = nil
                self?.show(flow.readerClosed())
            })
        reader?.begin()
    }
}
