import Foundation

/// The link flow, as the Android `LinkPresenter`: PIN on the in-app keypad, then one card tap.
@MainActor
final class LinkModel: ObservableObject {
    enum State: Equatable {
        case enterPin
        case holdCard
        case reading
        case linked(label: String, validUntil: String?)
        case pending(label: String, reason: String?, nextTry: Date?)
        case wrongPin(triesLeft: Int, message: String)
        case confirmLastTry(message: String)
        case blocked(message: String)
        case cardProblem(message: String)
        case failed(message: String)
    }

    @Published private(set) var state: State = .enterPin
    @Published var pin = PinEntry()
    private var lastTryConfirmed = false
    private var reader: CardReaderSession?
    let env: AppEnvironment
    let handbookId: String

    init(env: AppEnvironment, handbookId: String) {
        self.env = env
        self.handbookId = handbookId
    }

    func pinEntered() {
        guard pin.complete else { return }
        state = .holdCard
        reader = CardReaderSession(prompt: env.pick("カードを iPhone の上部にかざしてください",
                                                    "Hold the card near the top of the iPhone")) { card in
            await self.link(card)
        }
        reader?.begin()
    }

    func confirmLastTry() {
        lastTryConfirmed = true
        state = .enterPin
    }

    private func link(_ card: NFCCardTransport) async -> (ok: Bool, message: String) {
        guard let service = env.service else {
            state = .failed(message: "no server configured")
            return (false, "no server configured")
        }
        state = .reading
        defer { lastTryConfirmed = false }
        do {
            let confirm = lastTryConfirmed
            let info = try await pin.use { p in
                try await env.wallet.link(service: service, handbookId: handbookId, card: card, pin: p,
                                          confirmLastTry: confirm, onBehalfOf: nil, lang: env.lang)
            }
            switch info.status {
            case .linked:
                state = .linked(label: info.label, validUntil: info.validUntil)
            case .pending, .linking:
                state = .pending(label: info.label, reason: info.reason,
                                 nextTry: info.nextTryUnix.map { Date(timeIntervalSince1970: TimeInterval($0)) })
            case .unlinked:
                state = .failed(message: info.label)
            }
            return (true, info.label)
        } catch let e as TechoError {
            pin.clear()
            switch e {
            case let .WrongPin(triesLeft, detail): state = .wrongPin(triesLeft: Int(triesLeft), message: detail)
            case let .LastTryNeedsConfirmation(detail): state = .confirmLastTry(message: detail)
            case let .PinBlocked(detail): state = .blocked(message: detail)
            case let .Card(detail): state = .cardProblem(message: detail)
            default: state = .failed(message: e.localizedDescription)
            }
            return (false, e.localizedDescription)
        } catch {
            pin.clear()
            state = .failed(message: error.localizedDescription)
            return (false, error.localizedDescription)
        }
    }
}
